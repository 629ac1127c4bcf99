import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryError } from '../registry-error.js';
import { Credentials } from './credentials.js';
import { DockerConfigKeychain } from './docker-config-keychain.js';
import { MultiKeychain, StaticKeychain } from './keychain.js';

let dir: string;
let binDir: string;
let env: Record<string, string>;

// A fake docker-credential-<name>: answers from a JSON table, records what it was asked.
const helperScript = (table: Record<string, [string, string]>) => `#!/bin/sh
[ "$1" = get ] || exit 3
read -r server
echo "$server" >> "$(dirname "$0")/asked.log"
case "$server" in
${Object.entries(table)
  .map(
    ([server, [user, secret]]) =>
      `  '${server}') printf '{"ServerURL":"%s","Username":"${user}","Secret":"${secret}"}' "$server" ;;`,
  )
  .join('\n')}
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'registry-keychain-'));
  binDir = join(dir, 'bin');
  await mkdir(binDir);
  await writeFile(
    join(binDir, 'docker-credential-fake'),
    helperScript({
      'ghcr.io': ['helper-user', 'helper-secret'],
      'https://index.docker.io/v1/': ['<token>', 'id-tok'],
    }),
  );
  await writeFile(
    join(binDir, 'docker-credential-store'),
    helperScript({ 'store.example': ['s', 'store-secret'] }),
  );
  await writeFile(join(binDir, 'docker-credential-broken'), '#!/bin/sh\necho "secret-in-output"; exit 2\n');
  for (const name of ['fake', 'store', 'broken'])
    await chmod(join(binDir, `docker-credential-${name}`), 0o755);
  env = { PATH: `${binDir}:/usr/bin:/bin`, DOCKER_CONFIG: join(dir, 'cfg') };
  await mkdir(join(dir, 'cfg'));
  await writeFile(
    join(dir, 'cfg', 'config.json'),
    JSON.stringify({
      auths: {
        'https://index.docker.io/v1/': { auth: Buffer.from('hubuser:hubpass').toString('base64') },
        'http://127.0.0.1:5000': { username: 'plain', password: 'pw:with:colons' },
        'id.example': { identitytoken: 'refresh-token' },
        'store.example': { auth: Buffer.from('ignored:because-store-wins').toString('base64') },
        'bad.example': { auth: Buffer.from('no-colon').toString('base64') },
      },
      credHelpers: { 'ghcr.io': 'fake', 'broken.example': 'broken', 'docker.io': 'fake' },
      credsStore: 'store',
    }),
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('DockerConfigKeychain', () => {
  it('reads base64 auth, username/password and identity tokens from auths', async () => {
    const keychain = new DockerConfigKeychain({
      env: { ...env, PATH: '/usr/bin:/bin' },
      home: '/nonexistent',
    });
    // with the helpers off PATH only auths answer (the store helper cannot run: that is an error)
    await expect(keychain.resolve('127.0.0.1:5000')).rejects.toThrow(/docker-credential-store/);
    const noStore = new DockerConfigKeychain({ env, configPath: join(dir, 'cfg', 'config.json') });
    const plain = await noStore.resolve('127.0.0.1:5000');
    expect(plain?.kind).toBe('basic');
    expect(plain?.username).toBe('plain');
    expect(plain?.revealSecret()).toBe('pw:with:colons');
    const id = await noStore.resolve('id.example');
    expect(id?.kind).toBe('identity-token');
    expect(id?.revealSecret()).toBe('refresh-token');
  });

  it('prefers credHelpers, then credsStore, then auths; Docker Hub is asked by its v1 URL', async () => {
    const keychain = new DockerConfigKeychain({ env, home: '/nonexistent' });
    const gh = await keychain.resolve('ghcr.io');
    expect([gh?.username, gh?.revealSecret()]).toEqual(['helper-user', 'helper-secret']);
    const hub = await keychain.resolve('index.docker.io');
    expect(hub?.kind).toBe('identity-token');
    expect(hub?.revealSecret()).toBe('id-tok');
    const store = await keychain.resolve('store.example');
    expect(store?.revealSecret()).toBe('store-secret');
    // the store has nothing for this one: fall back to auths
    const fallback = await keychain.resolve('127.0.0.1:5000');
    expect(fallback?.username).toBe('plain');
    expect(await keychain.resolve('unknown.example')).toBeUndefined();
  });

  it('uses ~/.docker/config.json when DOCKER_CONFIG is unset', async () => {
    await mkdir(join(dir, 'home', '.docker'), { recursive: true });
    await writeFile(
      join(dir, 'home', '.docker', 'config.json'),
      JSON.stringify({ auths: { 'reg.example': { username: 'h', password: 'p' } } }),
    );
    const keychain = new DockerConfigKeychain({ env: { PATH: env.PATH }, home: join(dir, 'home') });
    expect(keychain.configPath).toBe(join(dir, 'home', '.docker', 'config.json'));
    expect((await keychain.resolve('reg.example'))?.username).toBe('h');
    expect(
      await new DockerConfigKeychain({ env: {}, home: join(dir, 'nope') }).resolve('reg.example'),
    ).toBeUndefined();
  });

  it('fails clearly without leaking helper output or secrets', async () => {
    const keychain = new DockerConfigKeychain({ env, home: '/nonexistent' });
    const error = await keychain.resolve('broken.example').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RegistryError);
    expect((error as RegistryError).code).toBe('CREDENTIALS');
    expect((error as RegistryError).message).toContain('docker-credential-broken');
    expect(JSON.stringify(error) + inspect(error)).not.toContain('secret-in-output');
    const bad = await keychain.resolve('bad.example').catch((e: unknown) => e);
    expect((bad as RegistryError).code).toBe('CREDENTIALS');
    expect(String(bad)).not.toContain('no-colon');
  });
});

describe('Credentials', () => {
  it('keeps the secret out of JSON, inspect, spreads and keys', () => {
    const creds = Credentials.basic('user', 'hunter2-secret');
    const views = [
      JSON.stringify(creds),
      inspect(creds),
      JSON.stringify({ ...creds }),
      Object.keys(creds).join(),
    ];
    for (const v of views) expect(v).not.toContain('hunter2-secret');
    expect(creds.basicAuthorization()).toBe(`Basic ${Buffer.from('user:hunter2-secret').toString('base64')}`);
  });

  it('static and multi keychains resolve per host', async () => {
    const a = Credentials.basic('a', 'x');
    const keychain = new MultiKeychain([new StaticKeychain([]), new StaticKeychain([['Reg.Example', a]])]);
    expect(await keychain.resolve('reg.example')).toBe(a);
    expect(await keychain.resolve('other')).toBeUndefined();
  });
});
