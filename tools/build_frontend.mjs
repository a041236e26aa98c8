// Builds static/dist/ from static/src/ with esbuild: one minified bundle per page, ES2020.
// `npm run build`; CI runs it after `npm ci` and fails if the committed files differ.
import { build } from "esbuild";

// Every page loads exactly one of these (templates/base.html: site_page where a page has none).
const pages = ["stock_page", "portfolio_page", "markets_page", "orders_page", "auctions_page", "api_keys_page", "site_page"];

await build({
  entryPoints: pages.map((name) => `static/src/${name}.js`),
  outdir: "static/dist",
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  legalComments: "eof", // keeps the Apache-2.0 notice of lightweight-charts in the bundle
  logLevel: "warning",
});
