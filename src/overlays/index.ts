export type { Box, TextStyle, TextLayer, Layer } from './types.ts';
export { ensureFonts, DEFAULT_FONT_FAMILY } from './fonts.ts';
export { compileText, resolveLayerText, TemplateSyntaxError, HELPER_NAMES } from './text.ts';
export { drawTextLayer, measureFit, type DrawnOverlay, type FitResult } from './draw.ts';
