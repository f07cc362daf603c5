export type { Box, TextStyle, TextLayer, SvgLayer, ImageLayer, ItemsLayer, ChartLayer, Layer, LayerBase, Animation } from './types.ts';
export { ensureFonts, DEFAULT_FONT_FAMILY } from './fonts.ts';
export { compileText, resolveLayerText, TemplateSyntaxError, HELPER_NAMES } from './text.ts';
export { drawTextLayer, measureFit, type DrawnOverlay, type FitResult } from './draw.ts';
export { drawLayer, layerInputs, DEFAULT_FETCH_POLICY, type AssetSource, type ImageFetchPolicy, type DrawContext, type LayerDrawing } from './draw-layer.ts';
