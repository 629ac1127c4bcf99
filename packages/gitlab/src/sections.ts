/** GitLab collapsible log sections (`section_start:<unix>:<name>`). */
export function sectionStart(name: string, header: string, now: Date, collapsed = false): string {
  const id = name.replace(/[^A-Za-z0-9_.-]/g, '_');
  const opts = collapsed ? '[collapsed=true]' : '';
  return `\x1b[0Ksection_start:${Math.floor(now.getTime() / 1000)}:${id}${opts}\r\x1b[0K${header}`;
}

export function sectionEnd(name: string, now: Date): string {
  const id = name.replace(/[^A-Za-z0-9_.-]/g, '_');
  return `\x1b[0Ksection_end:${Math.floor(now.getTime() / 1000)}:${id}\r\x1b[0K`;
}
