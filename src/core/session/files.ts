/** Shapes of the in-container helper's answers (docs/kernel-protocol.md). */
export interface FileEntry {
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'other';
  size: number;
  mtime: string;
}

export interface ReadResult {
  path: string;
  offset: number;
  lines: string[];
  eof: boolean;
  totalLines: number | null;
}

export interface SearchMatch {
  path: string;
  line: number;
  text: string;
}

export interface SearchResult {
  matches: SearchMatch[];
  truncated: boolean;
}

export interface ResolveResult {
  real: string;
  exists: boolean;
  type: 'file' | 'dir' | 'symlink' | 'other' | null;
}

export interface PdfInfo {
  isPdf: boolean;
  pages: number;
  previewPng?: string;
}
