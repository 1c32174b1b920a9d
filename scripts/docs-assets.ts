/**
 * Puts the API reference's standalone bundle (from the pinned @scalar/api-reference package) into the Worker's
 * static assets, so /docs needs no CDN and no third-party script runs on the API's origin. Runs before dev, test
 * and build; the copy is not committed (public/docs/vendor is generated).
 */
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
// The package does not export its browser build; it sits in node_modules like any installed file.
const pkg = join(root, "node_modules", "@scalar", "api-reference");
const target = join(root, "public", "docs", "vendor");
mkdirSync(target, { recursive: true });
copyFileSync(join(pkg, "dist", "browser", "standalone.js"), join(target, "api-reference.js"));
