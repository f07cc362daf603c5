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

export interface TextLayer {
  id: string;
  type: 'text';
  start: number;   // seconds in the video (used by the caller, not by the drawing)
  end: number;
  box: Box;        // where the overlay goes on the video frame, in pixels
  text: string;    // Handlebars source, e.g. '{{name}}様なら、年間{{yen savings}}お得になります'
  style: TextStyle;
  /**
   * 'shrink' (default): one line, shrunk down to minFontSize, then truncated with '…'.
   * 'wrap': Japanese line breaking with kinsoku, shrunk if the lines don't fit the
   * box height, finally the last line truncated with '…'.
   */
  fit?: 'shrink' | 'wrap';
  fade?: { in?: number; out?: number };  // seconds (caller uses it)
}

export type Layer = TextLayer;  // more layer kinds come later
