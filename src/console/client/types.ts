// The /v1 answers the console reads (see docs/api.md); only the parts it shows.
export interface FieldSpec {
  type: 'string' | 'integer' | 'number' | 'boolean' | 'array';
  required?: boolean;
  description?: string;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  enum?: Array<string | number>;
  minimum?: number;
  maximum?: number;
  maxItems?: number;
  example?: unknown;
  worst?: unknown;
}

export interface TemplateSummary {
  id: string;
  name: string;
  description: string | null;
  version: string;
  prepared_at?: string;
  width: number;
  height: number;
  fps: number;
  duration: number;
  fields: Record<string, FieldSpec>;
  example: Record<string, unknown>;
  layers: Array<{ id: string; type: string; start: number; end: number }>;
  segments: { total: number; personalized: number; personalized_seconds?: number };
}

export interface Problem {
  pointer?: string;
  message: string;
  message_ja?: string;
}

export interface VersionInfo {
  version: string;
  state: 'preparing' | 'ready' | 'failed';
  createdAt: string;
  source: 'bundled' | 'upload';
  active: boolean;
  problems?: Problem[];
  error?: string;
  uploaded_by?: { id: string; name: string } | null;
  summary?: TemplateSummary;
  prepare?: { state: string; step?: string | null; done?: number; total?: number } | null;
}

export interface Segment {
  index: number;
  kind: 'static' | 'dynamic';
  duration: number;
  state: 'ready' | 'pending' | 'waiting' | 'failed';
}

export interface Render {
  id: string;
  template: string;
  version: string;
  mode: string;
  state: 'lazy' | 'queued' | 'rendering' | 'done' | 'failed';
  external_id: string | null;
  playlist_url: string;
  player_url: string;
  mp4_url?: string;
  poster_url?: string;
  created_at: string;
  progress?: { ready: number; total: number };
  segments?: Segment[];
  error?: string | null;
}

export interface Stats {
  counts: Record<string, number>;
  funnel: Array<{ step: string; count: number; of_issued: number | null }>;
}
