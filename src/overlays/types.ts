// Shapes of the overlay layers a template manifest declares. Kept free of
// runtime code so the manifest validator can import it without pulling in canvas.

export interface Box { x: number; y: number; width: number; height: number }

export interface TextStyle {
  fontFamily?: string;          // default 'Noto Sans JP'
  fontWeight?: 400 | 700;       // default 700
  fontSize: number;             // px, the maximum size; shrink-to-fit may go smaller
  minFontSize?: number;         // default fontSize*0.5 (floor 12)
  color: string;                // CSS color, e.g. '#ffffff'
  align?: 'left' | 'center' | 'right';     // default 'center'
  valign?: 'top' | 'middle' | 'bottom';    // default 'middle'
  lineHeight?: number;          // multiple of font size, default 1.3
  stroke?: { color: string; width: number };   // width: outline px outside the glyph (like ffmpeg drawtext's borderw)
  shadow?: { color: string; blur: number; offsetX?: number; offsetY?: number };
  background?: { color: string; radius?: number; padding?: number };  // a rounded "pill/card" behind the text, drawn to the box
}

/** Enter/exit animation, rendered by ffmpeg on the still overlay (never by redrawing frames). */
export interface Animation {
  fade?: { in?: number; out?: number };  // seconds
  slide?: {
    in?: { from: 'left' | 'right' | 'top' | 'bottom'; duration: number; distance?: number };   // distance px, default 80
    out?: { to: 'left' | 'right' | 'top' | 'bottom'; duration: number; distance?: number };
  };
}

/** What every layer has: an id, a time window and a box on the video frame. */
export interface LayerBase extends Animation {
  id: string;
  start: number;   // seconds in the video (used by the caller, not by the drawing)
  end: number;
  box: Box;        // where the overlay goes on the video frame, in pixels
}

export interface TextLayer extends LayerBase {
  type: 'text';
  text: string;    // Handlebars source, e.g. '{{name}}様なら、年間{{yen savings}}お得になります'
  style: TextStyle;
  /** Set by the service from the manifest's `locale` (helpers format numbers and dates for it). */
  locale?: string;
  /**
   * 'shrink' (default): one line, shrunk down to minFontSize, then truncated with '…'.
   * 'wrap': Japanese line breaking with kinsoku, shrunk if the lines don't fit the
   * box height, finally the last line truncated with '…'.
   */
  fit?: 'shrink' | 'wrap';
}

/** An SVG designed in Figma/Illustrator with Handlebars placeholders; values are XML-escaped. */
export interface SvgLayer extends LayerBase {
  type: 'svg';
  file: string;    // package-relative path, e.g. 'overlays/badge.svg'
  /**
   * The file's text, embedded by the server when a version is prepared
   * (embedSvgSources), never written by authors: layerInputs is synchronous
   * and needs it to give the filled-in SVG as the layer's inputs.
   */
  svgText?: string;
}

/** A packaged image, or an https image URL taken from the data (e.g. a product photo). */
export interface ImageLayer extends LayerBase {
  type: 'image';
  file?: string;       // package-relative path (png/jpeg/webp)
  url?: string;        // Handlebars, e.g. '{{product_image}}'; fetched under the image fetch policy
  fallback?: string;   // package-relative image used when the URL is missing or fails
  fit?: 'contain' | 'cover';   // default 'contain'
  radius?: number;     // rounded corners, px
}

/** A list or grid of recommended products from an array field: 1..maxItems cards laid out automatically. */
export interface ItemsLayer extends LayerBase {
  type: 'items';
  field: string;       // data field holding an array of { name, price?, image?, badge? }
  maxItems?: number;   // default 3
  columns?: number;    // default: all in one row (≤ 3), else a grid
  gap?: number;        // px between cards, default 24
  imageFallback?: string;   // package-relative image for items whose image is missing or fails
  card?: {
    background?: string;    // default 'rgba(255,255,255,0.92)'
    radius?: number;        // default 20
    padding?: number;       // default 16
    nameStyle?: Partial<TextStyle>;
    priceStyle?: Partial<TextStyle>;   // price is drawn with the yen helper
    badgeStyle?: { color?: string; background?: string; fontSize?: number };
  };
}

/** A bar or line chart from numeric array fields (e.g. monthly bills before and after). */
export interface ChartLayer extends LayerBase {
  type: 'chart';
  kind: 'bar' | 'line';
  series: Array<{ field: string; label?: string; color: string }>;
  labels?: string[];        // x-axis labels, e.g. ['1月', '2月', …]
  labelsField?: string;     // or taken from a string-array field
  valueFormat?: 'yen' | 'number' | 'percent';
  title?: string;           // Handlebars
  style?: {
    fontSize?: number;      // default 22
    textColor?: string;     // default '#ffffff'
    gridColor?: string;     // default 'rgba(255,255,255,0.25)'
    background?: string;    // optional card behind the chart
    radius?: number;
    showValues?: boolean;   // value labels on bars / points, default true
    legend?: boolean;       // default true when more than one series
  };
}

export type Layer = TextLayer | SvgLayer | ImageLayer | ItemsLayer | ChartLayer;
