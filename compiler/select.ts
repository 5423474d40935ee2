/**
 * `--only`: which CTIDs a compile emits (the named ones and their clone ancestors) and which
 * diagnostics count (problems in other CTIDs do not block the selection).
 */
import type { Diagnostic, PositionIndex } from './diagnostics';
import type { Container } from './generated/config-types';
import { displayPath } from './util/jsonpath';
import { cloneChain, sortCtids } from './resolve';

export interface Selection {
  /** Every CTID of the file, in numeric order. */
  all: string[];
  /** The CTIDs to emit. */
  selected: Set<string>;
  /** PHX090 for a named CTID that does not exist. */
  diagnostics: Diagnostic[];
  /** Keeps a diagnostic that concerns no CTID or a selected one. */
  inScope(d: Diagnostic): boolean;
}

/** Without `only`, every CTID. */
export function selectCtids(config: PositionIndex, configs: Record<string, Container>, only: readonly string[] | undefined): Selection {
  const all = sortCtids(Object.keys(configs));
  let selected = new Set(all);
  const diagnostics: Diagnostic[] = [];
  if (only) {
    selected = new Set();
    for (const id of only) {
      if (!Object.prototype.hasOwnProperty.call(configs, id)) {
        diagnostics.push({
          severity: 'error',
          code: 'PHX090',
          message: `--only names CTID ${id}, which is not in lxc_configs`,
          file: config.file,
          pos: config.valuePos.get('/lxc_configs') ?? { line: 1, col: 1 },
          path: displayPath(['lxc_configs']),
        });
        continue;
      }
      for (const c of cloneChain(configs, id)) selected.add(c);
    }
  }
  return { all, selected, diagnostics, inScope: (d) => d.ctid === undefined || selected.has(d.ctid) };
}
