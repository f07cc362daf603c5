// Template package intake: unpacking uploads safely, glyph coverage of fonts,
// and schema validation of template.json — all reporting Problems.
export { problem, problemAt, pointer, escapeToken, filePointer, zipPointer, type Problem } from './problems.ts';
export { message, hex, KEYWORD_MESSAGES, MESSAGES, type Bilingual, type MessageCode } from './messages.ts';
export { extractPackage, listDirPackage, DEFAULT_LIMITS, type PackageLimits } from './zip.ts';
export { fontCodepoints, bundledCoverage, missingChars, missingCodepoints, isIgnorable, FontError } from './fonts.ts';
export { validateManifestSchema, LAYER_TYPES, SCHEMA_FILE } from './schema.ts';
