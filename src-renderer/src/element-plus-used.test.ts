/**
 * The build registers only the Element Plus components the renderer's
 * templates use (electron.vite.config.ts: elementPlusUsage over
 * src-renderer/src, served as `virtual:lw-element-plus`). Checks the tag →
 * export-name mapping, and that every component the sources use today is an
 * export of element-plus (a name that is not would fail the build).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as ElementPlus from 'element-plus';
import { elementPlusUsage } from '../../electron.vite.config';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return /\.(vue|ts)$/.test(e.name) && !/\.test\.ts$/.test(e.name) ? [readFileSync(p, 'utf8')] : [];
  });
}

describe('elementPlusUsage', () => {
  it('maps kebab-case and PascalCase tags and resolveComponent names to export names; finds v-loading', () => {
    const u = elementPlusUsage([
      '<template><el-table-v2 :data="d" /><el-input-number\n v-model="x"/><el-option value="1">a</el-option></template>',
      '<ElButton type="primary">x</ElButton><el-auto-resizer>',
      "const c = resolveComponent('el-collapse-item'); const d = resolveComponent('ElTag');",
      '<div v-loading="busy" class="x"></div>',
      '<!-- not a tag: el-select, <elf> <el- > -->',
    ]);
    expect(u.components).toEqual(['ElAutoResizer', 'ElButton', 'ElCollapseItem', 'ElInputNumber', 'ElOption', 'ElTableV2', 'ElTag']);
    expect(u.loading).toBe(true);
    expect(elementPlusUsage(['<el-card>', '<p v-loadingx>']).loading).toBe(false);
  });

  it('every component the renderer uses is an Element Plus export', () => {
    const u = elementPlusUsage(sources(join(import.meta.dirname)));
    expect(u.components.length).toBeGreaterThan(10);
    const exported = new Set(Object.keys(ElementPlus));
    expect(u.components.filter((n) => !exported.has(n))).toEqual([]);
    expect(u.components).toContain('ElCard'); // ChartCard
    expect(u.loading).toBe(true); // ChartCard's v-loading
  });
});
