/** What the MCP integration suites read from a tool call: the result's shape and its text and links. */
export type Content =
  | { type: 'text'; text: string }
  | { type: 'image'; data: string; mimeType: string }
  | { type: 'resource_link'; uri: string; name: string; mimeType?: string; size?: number; description?: string };

export interface CallResult {
  content: Content[];
  isError?: boolean;
}

/** The result's text parts, joined. */
export function text(r: CallResult): string {
  return r.content
    .filter((c): c is { type: 'text'; text: string } => c.type === 'text')
    .map((c) => c.text)
    .join('\n');
}

/** The result's resource links. */
export function links(r: CallResult) {
  return r.content.filter((c): c is Extract<Content, { type: 'resource_link' }> => c.type === 'resource_link');
}
