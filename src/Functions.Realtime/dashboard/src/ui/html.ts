// Preact with htm: components are written as tagged templates, so esbuild
// builds them as plain TypeScript (no JSX transform, no other toolchain).
// Interpolated values are text or attributes, never parsed as HTML.

import { h } from "preact";
import htm from "htm";

export const html = htm.bind(h);
