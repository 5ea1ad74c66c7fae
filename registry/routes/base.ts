import { Hono } from "hono";

/** `GET /v2/`: the API version check every client starts with. */
export function baseRoutes(): Hono {
  const app = new Hono();
  app.get("/v2/", (c) => c.json({}));
  return app;
}
