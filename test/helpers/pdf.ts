/** Reads PDFs back in tests with pdfjs (legacy build for Node, its standard fonts from the package). */
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs'

/** pdfjs's standard fonts, so that text in the base-14 fonts is read without warnings. */
const STANDARD_FONTS = join(dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json')), 'standard_fonts') + '/'

/** The PDF read back by pdfjs: page count, the non-blank text items of page 1, the info dictionary. */
export async function parsePdf(pdf: Buffer): Promise<{ pages: number; texts: string[]; info: Record<string, unknown> }> {
  const doc = await getDocument({ data: new Uint8Array(pdf), standardFontDataUrl: STANDARD_FONTS, isEvalSupported: false }).promise
  try {
    const content = await (await doc.getPage(1)).getTextContent()
    const texts = content.items.flatMap((item) => ('str' in item && item.str.trim() !== '' ? [item.str] : []))
    return { pages: doc.numPages, texts, info: (await doc.getMetadata()).info as Record<string, unknown> }
  } finally {
    await doc.destroy()
  }
}
