// Template package intake: unpacking uploads safely, glyph coverage of fonts,
// and schema validation of template.json — all reporting Problems.
export { problem, pointer, escapeToken, filePointer, zipPointer, type Problem } from './problems.ts';
export { extractPackage, listDirPackage, DEFAULT_LIMITS, type PackageLimits } from './zip.ts';
export { fontCodepoints, bundledCoverage, missingChars, FontError } from './fonts.ts';
export { validateManifestSchema, LAYER_TYPES, SCHEMA_FILE } from './schema.ts';
