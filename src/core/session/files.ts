import { isUserFile } from '../policy/paths';

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

/** The files of a listing the user works with: regular files, not the kernel's saved outputs. */
export function userFiles<E extends FileEntry>(entries: readonly E[]): E[] {
  return entries.filter((e) => e.type === 'file' && isUserFile(e.path));
}
