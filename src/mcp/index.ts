/** The MCP server over the core (`code-interpreter mcp`). Imports only src/core and the MCP SDK. */
export { createMcpServer, runMcpServer, MAX_RESOURCE_BYTES, SERVER_NAME, SERVER_VERSION } from './server';
export type { CodeInterpreterMcpServer, McpServerOptions } from './server';
export * from './shape';
export { ProgressReporter } from './progress';
