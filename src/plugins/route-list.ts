/**
 * The list of every route the app answers, kept as routes are added (the contract test compares
 * it with the OpenAPI document).
 */
import { appWide } from './app-wide.js'

/** One registered route: its methods and its URL pattern (Fastify syntax, `:param`). */
export interface RouteEntry {
  methods: string[]
  url: string
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route the app answers (the contract test compares it with the OpenAPI document). */
    routeList: readonly RouteEntry[]
  }
}

/** Decorates `app.routeList`; register it before any route. */
export const routeList = appWide('route-list', async (app) => {
  const routes: RouteEntry[] = []
  app.addHook('onRoute', (route) => {
    routes.push({ methods: ([] as string[]).concat(route.method), url: route.url })
  })
  app.decorate('routeList', routes)
})
