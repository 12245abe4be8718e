/**
 * An HTML page without the contents of its script blocks, for tests that look at its markup:
 * uPlot's source is not markup, and the embedded results JSON repeats every string.
 */
export function markup(html: string): string {
  return html.replace(/(<script[^>]*>)[\s\S]*?(<\/script>)/g, '$1$2');
}
