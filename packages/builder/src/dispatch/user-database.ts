/** A resolved USER / --chown owner. */
export interface Owner {
  uid: number;
  gid: number;
  /** Supplementary groups (RUN only). */
  groups: number[];
  /** Home directory from passwd, when the user has an entry. */
  home?: string;
  name?: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}
interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

function parseColonFile<T>(text: string | undefined, map: (f: string[]) => T | undefined): T[] {
  const out: T[] = [];
  for (const line of (text ?? '').split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const v = map(line.split(':'));
    if (v) out.push(v);
  }
  return out;
}

const isId = (s: string) => /^\d+$/.test(s);

/**
 * The image's `/etc/passwd` and `/etc/group`, for resolving `USER name[:group]` and `--chown`
 * the way Docker does: numeric ids need no entry, names must exist.
 */
export class UserDatabase {
  private readonly users: PasswdEntry[];
  private readonly groupList: GroupEntry[];

  constructor(passwd: string | undefined, group: string | undefined) {
    this.users = parseColonFile(passwd, (f) =>
      f.length >= 6 && isId(f[2] ?? '') && isId(f[3] ?? '')
        ? { name: f[0] ?? '', uid: Number(f[2]), gid: Number(f[3]), home: f[5] ?? '/' }
        : undefined,
    );
    this.groupList = parseColonFile(group, (f) =>
      f.length >= 3 && isId(f[2] ?? '')
        ? { name: f[0] ?? '', gid: Number(f[2]), members: (f[3] ?? '').split(',').filter(Boolean) }
        : undefined,
    );
  }

  /**
   * Resolves `user[:group]`. `forRun` adds supplementary groups and, for a numeric uid with no entry,
   * uses gid = uid's entry gid or 0 as Docker does. Throws a plain Error with a message naming the
   * missing user or group; callers wrap it with the instruction's location.
   */
  resolve(spec: string, forRun = false): Owner {
    const [userPart = '', groupPart] = spec.split(':');
    const entry = isId(userPart)
      ? this.users.find((u) => u.uid === Number(userPart))
      : this.users.find((u) => u.name === userPart);
    if (!entry && !isId(userPart))
      throw new Error(`unable to find user ${userPart}: no matching entries in passwd file`);
    const uid = entry ? entry.uid : Number(userPart);
    let gid: number;
    if (groupPart !== undefined && groupPart !== '') {
      if (isId(groupPart)) gid = Number(groupPart);
      else {
        const g = this.groupList.find((x) => x.name === groupPart);
        if (!g) throw new Error(`unable to find group ${groupPart}: no matching entries in group file`);
        gid = g.gid;
      }
    } else {
      // --chown=user sets the group to the user's primary group (BuildKit); numeric uid → gid = uid.
      gid = entry ? entry.gid : forRun ? 0 : uid;
    }
    const groups =
      forRun && entry && (groupPart === undefined || groupPart === '')
        ? [
            ...new Set([
              gid,
              ...this.groupList.filter((g) => g.members.includes(entry.name)).map((g) => g.gid),
            ]),
          ]
        : [gid];
    return { uid, gid, groups, home: entry?.home, name: entry?.name };
  }
}
