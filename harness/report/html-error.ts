/**
 * An error as the HTML report shows it, wherever it comes from (a scenario that errored, an
 * exploration that could not run): its code and message, where, the hint, every problem with its
 * place, and for an internal error the stack to paste into a bug report.
 */
import { formatLocation, type SerializedError } from '../core/errors.js';
import { escapeHtml as esc } from './escape.js';

export function errorDetails(e: SerializedError, heading: string): string {
  const parts = [`<h3>${heading}</h3><p><code>${esc(e.code)}</code> <strong>${esc(e.message)}</strong></p>`];
  if (e.where) parts.push(`<p class="muted">at ${esc(formatLocation(e.where))}</p>`);
  if (e.hint) parts.push(`<p>hint: ${esc(e.hint)}</p>`);
  if (e.problems && e.problems.length > 0) {
    parts.push(`<ul>${e.problems.map((p) => `<li>${esc(formatLocation(p))}${formatLocation(p) ? ': ' : ''}${esc(p.message)}${p.hint ? ` <span class="muted">(hint: ${esc(p.hint)})</span>` : ''}</li>`).join('')}</ul>`);
  }
  if (e.stack) parts.push(`<pre>${esc(e.stack)}</pre>`);
  return parts.join('');
}
