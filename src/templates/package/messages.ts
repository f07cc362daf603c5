// Every message a template or data check gives, in English and Japanese, in
// one table: keyed by the failing JSON Schema keyword (ajv) or by our own
// problem code for what a schema cannot say. A message is written once per
// language here, never derived from the other language.

export interface Bilingual {
  en: string;
  ja: string;
}

const TYPE_EN: Record<string, string> = { string: 'a string', number: 'a number', integer: 'an integer', boolean: 'true or false', object: 'an object { … }', array: 'a list [ … ]', null: 'null' };
const TYPE_JA: Record<string, string> = { string: '文字列', number: '数値', integer: '整数', boolean: 'true か false', object: 'オブジェクト（{ … }）', array: '配列（[ … ]）', null: 'null' };

const json = (v: unknown): string => JSON.stringify(v);
const list = (v: unknown): string[] => (Array.isArray(v) ? v : [v]).map(json);

type P = Record<string, unknown>;

/** Messages for ajv's keywords, from the error's params (used when the schema gives no errorMessage). */
export const KEYWORD_MESSAGES: Record<string, (p: P) => Bilingual> = {
  type: (p) => {
    const types = (Array.isArray(p.type) ? p.type : [p.type]).map(String);
    return { en: `must be ${types.map((t) => TYPE_EN[t] ?? t).join(' or ')}`, ja: `${types.map((t) => TYPE_JA[t] ?? t).join('か')}を指定してください` };
  },
  enum: (p) => ({ en: `must be one of ${list(p.allowedValues).join(', ')}`, ja: `${list(p.allowedValues).join('、')} のいずれかを指定してください` }),
  const: (p) => ({ en: `must be ${json(p.allowedValue)}`, ja: `${json(p.allowedValue)} を指定してください` }),
  minimum: (p) => ({ en: `must be ≥ ${p.limit}`, ja: `${p.limit}以上の値を指定してください` }),
  maximum: (p) => ({ en: `must be ≤ ${p.limit}`, ja: `${p.limit}以下の値を指定してください` }),
  exclusiveMinimum: (p) => ({ en: `must be greater than ${p.limit}`, ja: `${p.limit}より大きい値を指定してください` }),
  exclusiveMaximum: (p) => ({ en: `must be less than ${p.limit}`, ja: `${p.limit}より小さい値を指定してください` }),
  multipleOf: (p) => ({ en: `must be a multiple of ${p.multipleOf}`, ja: `${p.multipleOf}の倍数を指定してください` }),
  minLength: (p) => (p.limit === 1 ? { en: 'must not be empty', ja: '空にはできません' } : { en: `must be at least ${p.limit} characters`, ja: `${p.limit}文字以上にしてください` }),
  maxLength: (p) => ({ en: `must be at most ${p.limit} characters`, ja: `${p.limit}文字以内にしてください` }),
  pattern: (p) => ({ en: `has the wrong format (expected to match ${p.pattern})`, ja: '形式が正しくありません' }),
  minItems: (p) => ({ en: `must have at least ${p.limit} item(s)`, ja: `${p.limit}個以上指定してください` }),
  maxItems: (p) => ({ en: `must have at most ${p.limit} item(s)`, ja: `${p.limit}個以内にしてください` }),
  uniqueItems: (p) => ({ en: `must not repeat items (items ${p.j} and ${p.i} are the same)`, ja: `同じ値を重複して指定できません（${p.j}番目と${p.i}番目）` }),
  required: (p) => ({ en: `"${p.name}" is required${p.hint ? ` — it ${(p.hint as Bilingual).en}` : ''}`, ja: `「${p.name}」は必須です。${p.hint ? (p.hint as Bilingual).ja : ''}` }),
  unknownProperty: (p) =>
    p.guess
      ? { en: `unknown property "${p.name}" — did you mean "${p.guess}"?`, ja: `「${p.name}」という項目はありません。「${p.guess}」の間違いではありませんか？` }
      : { en: `unknown property "${p.name}"; allowed here: ${(p.allowed as string[]).join(', ')}`, ja: `「${p.name}」という項目はありません（使える項目: ${(p.allowed as string[]).join('、')}）` },
  propertyNames: () => ({ en: 'is not an allowed name', ja: 'この名前は使えません' }),
  anyOf: () => ({ en: 'does not match any of the allowed forms', ja: '指定できる形式のどれにも当てはまりません' }),
};

/** Our own problem codes: checks the schema cannot express, files, the video, fonts, and data at render time. */
export const MESSAGES = {
  // template.json as a file
  manifest_missing: (p: { file: string }) => ({ en: `${p.file} is missing at the top of the package`, ja: `パッケージの最上位に ${p.file} がありません` }),
  manifest_not_json: (p: { file: string; detail: string }) => ({ en: `${p.file} is not valid JSON: ${p.detail}`, ja: `${p.file} が正しいJSONではありません: ${p.detail}` }),
  // semantic checks of template.json
  duplicate_layer_id: (p: { id: string }) => ({ en: `duplicate layer id "${p.id}"`, ja: `レイヤーID「${p.id}」が重複しています` }),
  end_not_after_start: () => ({ en: 'must be a number of seconds after start', ja: '終了時刻は開始時刻より後にしてください' }),
  unknown_field: (p: { name: string }) => ({ en: `refers to unknown field "${p.name}"`, ja: `未定義のフィールド「${p.name}」を参照しています` }),
  not_array_field: (p: { name: string }) => ({ en: `field "${p.name}" must be an array field`, ja: `フィールド「${p.name}」は配列型にしてください` }),
  reserved_field_name: (p: { name: string }) => ({
    en: `"${p.name}" cannot be a field name: it is a built-in property of every JavaScript object; choose another name`,
    ja: `「${p.name}」はJavaScriptのオブジェクトが最初から持つ名前なので、項目名には使えません。別の名前にしてください`,
  }),
  template_error: (p: { detail: string }) => ({ en: p.detail, ja: `Handlebars の記述に誤りがあります（アップロード後はどの描画も失敗するため受け付けません）: ${p.detail}` }),
  template_dry_run: (p: { data: 'example' | 'worst-case' }) => ({
    en: `the template fails when filled in with ${p.data} data`,
    ja: `${p.data === 'example' ? '例' : '最悪ケース'}のデータを当てはめるとテンプレートの処理に失敗します`,
  }),
  cta_url_not_http: (p: { data: 'example' | 'worst-case' }) => ({
    en: `filled in with ${p.data} data, this is not an http(s) URL`,
    ja: `${p.data === 'example' ? '例' : '最悪ケース'}のデータを当てはめると http(s) の URL になりません`,
  }),
  pattern_invalid: (p: { detail: string }) => ({ en: `is not a valid regular expression (${p.detail})`, ja: `正規表現として正しくありません（${p.detail}）` }),
  pattern_unsafe: () => ({
    en: 'can take exponential time on some inputs (nested or overlapping repetition, or a backreference); rewrite it without a repeated group inside a repetition, e.g. ^a+$ instead of ^(a+)+$',
    ja: '入力によっては処理に非常に長い時間がかかる正規表現です（繰り返しの入れ子・重なり、または後方参照）。^(a+)+$ ではなく ^a+$ のように書き直してください',
  }),
  // files, SVGs, the base video, fonts
  file_missing: (p: { file: string }) => ({ en: `file "${p.file}" is not in the package`, ja: `ファイル「${p.file}」がパッケージにありません` }),
  svg_unsafe: (p: { file: string; detail: string }) => ({ en: `${p.file}: ${p.detail}`, ja: `${p.file}: 外部参照やスクリプトは使えません（${p.detail}）` }),
  svg_template_error: (p: { file: string; detail: string }) => ({ en: `${p.file}: ${p.detail}`, ja: `${p.file}: Handlebars の記述に誤りがあります: ${p.detail}` }),
  video_too_large: (p: { w: number; h: number }) => ({
    en: `${p.w}x${p.h} is larger than 1920x1080 (or 1080x1920 portrait); set output.width/height or re-export the video`,
    ja: `${p.w}x${p.h} は上限（1920x1080、縦型は1080x1920）を超えています。output.width/height を指定するか動画を書き出し直してください`,
  }),
  video_too_long: (p: { sec: string; max: number }) => ({ en: `the video is ${p.sec} s; the limit is ${p.max} s`, ja: `動画の長さ ${p.sec} 秒は上限 ${p.max} 秒を超えています` }),
  fps_unsupported: (p: { fps: number }) => ({ en: `frame rate ${p.fps} is not supported (1-60 fps)`, ja: `フレームレート ${p.fps} には対応していません（1〜60fps）` }),
  layer_after_video: (p: { end: number; sec: string }) => ({ en: `ends at ${p.end} s, after the video's ${p.sec} s`, ja: `終了 ${p.end} 秒が動画の長さ ${p.sec} 秒を超えています` }),
  time_after_video: (p: { at: number; sec: string }) => ({ en: `${p.at} s is after the end of the ${p.sec} s video`, ja: `${p.at} 秒は動画の長さ ${p.sec} 秒を超えています` }),
  box_outside_frame: (p: { box: string; w: number; h: number }) => ({ en: `box ${p.box} is outside the ${p.w}x${p.h} frame`, ja: `領域 ${p.box} が画面 ${p.w}x${p.h} からはみ出しています` }),
  // A note (does not block): the message starts with "note:".
  video_rotated_note: (p: { coded: string; rotation: number; seen: string }) => ({
    en: `note: the video is stored ${p.coded} and turned ${p.rotation}° for display; boxes use the ${p.seen} picture as seen`,
    ja: `注意: 動画は ${p.coded} で保存され、表示時に ${p.rotation}° 回転します。領域は見たままの ${p.seen} で指定してください`,
  }),
  audio_tracks_note: (p: { n: number; first: string }) => ({
    en: `note: the video has ${p.n} audio tracks; only the first (${p.first}) is used, the others are left out`,
    ja: `注意: 動画に音声トラックが${p.n}本あります。最初のトラック（${p.first}）だけを使い、ほかは使いません`,
  }),
  video_decodes_too_long: (p: { file: string; max: number; header: string }) => ({
    en: `${p.file} plays for more than ${p.max} s when decoded (its header says ${p.header} s); the limit is ${p.max} s`,
    ja: `${p.file} は実際に再生すると ${p.max} 秒を超えます（ヘッダー上は ${p.header} 秒）。上限は ${p.max} 秒です`,
  }),
  video_too_slow: (p: { file: string; sec: number; what: 'decode' | 'encode' }) => ({
    en: `${p.file} took longer than ${p.sec} s to ${p.what}; use a shorter or smaller video`,
    ja: `${p.file} の${p.what === 'decode' ? 'デコード' : 'エンコード'}に ${p.sec} 秒以上かかりました。短いか小さい動画にしてください`,
  }),
  splice_impossible: (p: { rate: string; index: number; detail: string }) => ({
    en: `personalized segments cannot be spliced into this video (${p.rate} fps, segment ${p.index}): ${p.detail}`,
    ja: `この動画には個人別セグメントを継ぎ目なく差し込めません（${p.rate} fps、セグメント ${p.index}）: ${p.detail}`,
  }),
  no_audio_note: () => ({ en: 'note: the video has no audio; a silent track will be added', ja: '注意: 動画に音声がないため、無音トラックを付けます' }),
  video_unreadable: (p: { detail: string }) => ({ en: `cannot read the video: ${p.detail}`, ja: `動画を読み込めません: ${p.detail}` }),
  font_unreadable: (p: { detail: string }) => ({ en: `cannot read font: ${p.detail}`, ja: `フォントを読み込めません: ${p.detail}` }),
  glyphs_missing: (p: { chars: string[]; data: 'example' | 'worst-case' }) => ({
    en: `the font lacks ${p.chars.map((c) => `"${c}" (${codepoint(c)})`).join(', ')} needed with ${p.data} data`,
    ja: `${p.data === 'example' ? '例' : '最悪ケース'}データで使う文字がフォントにありません: ${p.chars.map((c) => `${c} (${codepoint(c)})`).join('、')}`,
  }),
  text_overflow: (p: { w: number; h: number; size: number; truncated: boolean }) => ({
    en: `with worst-case data the text does not fit its ${p.w}x${p.h} box (font ${p.size}px${p.truncated ? ', cut with …' : ''}); enlarge the box, allow wrap, or lower the field's maxLength`,
    ja: `最悪ケースのデータで文字が枠（${p.w}x${p.h}）に収まりません（${p.size}px${p.truncated ? '、…で省略' : ''}）。枠を広げる、折り返しにする、または maxLength を小さくしてください`,
  }),
  // One person's data, when a render is accepted (never echoes the value: only code points).
  data_glyphs_missing: (p: { codepoints: number[] }) => ({
    en: `contains characters the template's fonts cannot draw: ${p.codepoints.map(hex).join(', ')}`,
    ja: `テンプレートのフォントで表示できない文字が含まれています: ${p.codepoints.map(hex).join('、')}`,
  }),
} satisfies Record<string, (p: never) => Bilingual>;

export type MessageCode = keyof typeof MESSAGES;

export function message<C extends MessageCode>(code: C, ...params: Parameters<(typeof MESSAGES)[C]>): Bilingual {
  return (MESSAGES[code] as (p: unknown) => Bilingual)(params[0]);
}

/** 'U+0BA4' */
export function hex(cp: number): string {
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}

function codepoint(c: string): string {
  return [...c].map((ch) => hex(ch.codePointAt(0)!)).join(' ');
}
