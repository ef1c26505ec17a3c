/**
 * The plugins of this folder act on the whole app: the instance that registers them, not a child
 * scope of it (fastify/demo's layout, where fastify-plugin marks them so).
 */
import type { FastifyPluginAsync } from 'fastify'

/**
 * Marks a plugin to act on the instance that registers it, as fastify-plugin does (its
 * `skip-override` symbol, without the dependency), and names it in Fastify's plugin tree.
 */
export function appWide<Options extends Record<string, unknown> = Record<never, never>>(name: string, plugin: FastifyPluginAsync<Options>): FastifyPluginAsync<Options> {
  return Object.assign(plugin, { [Symbol.for('skip-override')]: true, [Symbol.for('fastify.display-name')]: name })
}
