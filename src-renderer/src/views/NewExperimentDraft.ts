/**
 * The New-experiment form's draft: every configuration field as the form
 * holds it (text for numbers and lists, so that whatever the user typed,
 * valid or not, is kept and sent to validation as typed), plus name, tags,
 * notes and the preset. Persisted in localStorage by the view.
 */
import {
  CONFIG_FIELDS, CONFIG_FIELD_MAP, coerceFieldValue, formatFieldValue, type ConfigField, type ExperimentConfig, type FieldMeta,
} from '../../../src-shared/config';
import { presetConfig, type PresetName } from '../../../src-shared/presets';

export type FormValue = string | boolean | number | string[];

export interface Draft {
  version: 1;
  name: string;
  preset: PresetName;
  tags: string[];
  notes: string;
  /** queue the runs at once */
  start: boolean;
  /** where to go after launch */
  after: 'live' | 'results';
  /** the experiment this draft duplicates, if any */
  from: number | null;
  values: Record<ConfigField, FormValue>;
}

export const DRAFT_KEY = 'lw.new.draft';

/** Text-entered kinds (numbers and lists): kept as the user's text. */
export function isTextKind(f: FieldMeta): boolean {
  return f.kind === 'int' || f.kind === 'number' || f.kind === 'int-list' || f.kind === 'number-list';
}

export function formValueOf(f: FieldMeta, v: ExperimentConfig[ConfigField]): FormValue {
  if (isTextKind(f)) return formatFieldValue(v);
  if (f.kind === 'enum-list') return [...(v as string[])];
  if (f.kind === 'flag01') return Number(v);
  if (f.kind === 'boolean') return Boolean(v);
  return String(v);
}

export function valuesFromConfig(cfg: ExperimentConfig): Record<ConfigField, FormValue> {
  const out = {} as Record<ConfigField, FormValue>;
  for (const f of CONFIG_FIELDS) out[f.name] = formValueOf(f, cfg[f.name]);
  return out;
}

export function freshDraft(preset: PresetName = 'smoke'): Draft {
  return {
    version: 1, name: '', preset, tags: [], notes: '', start: true, after: 'live', from: null,
    values: valuesFromConfig(presetConfig(preset)),
  };
}

/** The configuration object sent to validateConfig / createExperiment (text coerced by the shared schema rules). */
export function configOf(values: Record<ConfigField, FormValue>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of CONFIG_FIELDS) {
    const v = values[f.name];
    out[f.name] = typeof v === 'string' && f.kind !== 'enum' ? coerceFieldValue(f.name, v) : v;
  }
  return out;
}

/** A stored draft made whole against the current schema (fields added since are filled from the preset). */
export function normaliseDraft(raw: unknown): Draft | null {
  if (!raw || typeof raw !== 'object') return null;
  const d = raw as Partial<Draft>;
  if (d.version !== 1 || !d.values || typeof d.values !== 'object') return null;
  const preset: PresetName = d.preset === 'quick' || d.preset === 'paper' ? d.preset : 'smoke';
  const base = freshDraft(preset);
  const values = { ...base.values };
  for (const f of CONFIG_FIELDS) {
    const v = (d.values as Record<string, unknown>)[f.name];
    if (typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number' || (Array.isArray(v) && v.every((x) => typeof x === 'string'))) values[f.name] = v as FormValue;
  }
  return {
    ...base,
    name: typeof d.name === 'string' ? d.name : '',
    tags: Array.isArray(d.tags) ? d.tags.filter((t): t is string => typeof t === 'string') : [],
    notes: typeof d.notes === 'string' ? d.notes : '',
    start: d.start !== false,
    after: d.after === 'results' ? 'results' : 'live',
    from: typeof d.from === 'number' ? d.from : null,
    values,
  };
}

/** Fields whose form value differs from the preset's. */
export function changedFields(d: Draft): Set<ConfigField> {
  const p = valuesFromConfig(presetConfig(d.preset));
  const out = new Set<ConfigField>();
  for (const f of CONFIG_FIELDS) {
    const a = d.values[f.name];
    const b = p[f.name];
    if (JSON.stringify(a) !== JSON.stringify(b)) out.add(f.name);
  }
  return out;
}

/** The field an error names ("seeds[1]" or "seeds.1" → "seeds"), or null when it names none of the form's fields. */
export function errorField(name: string): ConfigField | null {
  const base = name.split(/[.[]/)[0] ?? '';
  return Object.prototype.hasOwnProperty.call(CONFIG_FIELD_MAP, base) ? (base as ConfigField) : null;
}
