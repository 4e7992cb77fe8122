/**
 * A V8 code cache for the command line's own modules (issue 16: the CLI's start). Node
 * 22 has module.enableCompileCache(); Node 20 has not, so the bin script installs this
 * before it loads anything else: each file under dist/src is compiled with the cached
 * data V8 made last time, and at exit, if anything was missing or rejected, the data of
 * every file loaded (lazily compiled functions included) is written back in one file.
 * Measured on the host: `genl family nlctrl` 75 -> 70 ms of CPU (node -e 0: 50), the
 * compile of ~40 modules being most of what the library adds to node's own start.
 *
 * Where: $DEVLINK_SF_COMPILE_CACHE (a directory; 0 or off turns it off), else
 * $XDG_CACHE_HOME/devlink-sf, else ~/.cache/devlink-sf; nowhere without either. One file
 * per V8 version and installation. An entry is used only while its file has the size and
 * modification time it was recorded with (V8 itself checks only the source's length), and
 * V8 rejects data of another version or other flags. Any failure (no home, a read-only
 * disk, a damaged file) leaves the start as it was without the cache; nothing is printed.
 * A file that calls import() is compiled by Node as usual (see IMPORT_CALL).
 */
import * as fs from 'node:fs';
import Module from 'node:module';
import * as path from 'node:path';
import * as vm from 'node:vm';

/** The environment variable that names the cache's directory, or turns it off (0, off). */
export const COMPILE_CACHE_ENV = 'DEVLINK_SF_COMPILE_CACHE';

interface Entry {
  readonly mtimeMs: number;
  readonly size: number;
  readonly data: Buffer;
}

interface InternalModule {
  exports: unknown;
  require(id: string): unknown;
}

type ModuleStatics = typeof Module & {
  wrap(content: string): string;
  _resolveFilename(request: string, parent: unknown, isMain: boolean, options?: unknown): string;
  _cache: Record<string, unknown>;
  prototype: { _compile(content: string, filename: string): unknown };
};

/** The cache's directory, or undefined when it is off or there is no place for it. */
export function compileCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const set = env[COMPILE_CACHE_ENV];
  if (set !== undefined && set !== '') return set === '0' || set.toLowerCase() === 'off' ? undefined : path.resolve(set);
  if (env.XDG_CACHE_HOME) return path.join(env.XDG_CACHE_HOME, 'devlink-sf');
  if (env.HOME) return path.join(env.HOME, '.cache', 'devlink-sf');
  return undefined;
}

/** FNV-1a of a string, as 8 hex digits: tells installations apart in one cache directory. */
function fnv(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

/** The entries of a cache file: a u32 length, a JSON index [[file, mtimeMs, size, bytes]...], then the data. */
function readCache(file: string): Map<string, Entry> {
  const out = new Map<string, Entry>();
  let blob: Buffer;
  try {
    blob = fs.readFileSync(file);
  } catch {
    return out;
  }
  try {
    const n = blob.readUInt32LE(0);
    const index = JSON.parse(blob.toString('utf8', 4, 4 + n)) as [string, number, number, number][];
    let p = 4 + n;
    for (const [name, mtimeMs, size, len] of index) {
      if (p + len > blob.length) break;
      out.set(name, { mtimeMs, size, data: blob.subarray(p, p + len) });
      p += len;
    }
  } catch {
    out.clear();
  }
  return out;
}

function writeCache(dir: string, file: string, entries: Map<string, Entry>): void {
  const index: [string, number, number, number][] = [];
  const data: Buffer[] = [];
  for (const [name, e] of entries) {
    index.push([name, e.mtimeMs, e.size, e.data.length]);
    data.push(e.data);
  }
  const json = Buffer.from(JSON.stringify(index));
  const head = Buffer.alloc(4);
  head.writeUInt32LE(json.length);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  // written whole, then renamed over the old one: two processes at once leave one or the other, never a mix
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, Buffer.concat([head, json, ...data]), { mode: 0o600 });
  fs.renameSync(tmp, file);
}

let installed = false;

/**
 * A file with an import() of a module named in its text is compiled by Node as usual: in a
 * vm.Script it throws ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING on Node 20 (20.20 too, with
 * vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER). "import()" in a comment does not count.
 */
const IMPORT_CALL = /\bimport\(\s*['"`]/;

/**
 * Compile the files under `root` (default: this package's dist/src) with the code cache
 * from now on; returns whether it is in use. Called once, by bin/devlink-sf.js, before
 * anything else of the package is loaded.
 */
export function useCompileCache(root = path.resolve(__dirname, '..'), env: NodeJS.ProcessEnv = process.env): boolean {
  if (installed) return true;
  const dir = compileCacheDir(env);
  if (dir === undefined) return false;
  const M = Module as ModuleStatics;
  if (typeof M.wrap !== 'function' || typeof M.prototype._compile !== 'function') return false;
  const file = path.join(dir, `v8-${process.versions.v8}-${process.arch}-${fnv(root)}.bin`);
  const entries = readCache(file);
  const scripts = new Map<string, { script: vm.Script; mtimeMs: number; size: number }>();
  let dirty = false;
  const prefix = root + path.sep;
  const compile = M.prototype._compile;
  M.prototype._compile = function (this: InternalModule, content: string, filename: string): unknown {
    if (!filename.startsWith(prefix) || IMPORT_CALL.test(content)) return compile.call(this, content, filename);
    let script: vm.Script;
    let st: fs.Stats;
    try {
      st = fs.statSync(filename);
      const e = entries.get(filename);
      const cachedData = e !== undefined && e.mtimeMs === st.mtimeMs && e.size === st.size ? e.data : undefined;
      script = new vm.Script(M.wrap(content), { filename, cachedData });
      if (cachedData === undefined || script.cachedDataRejected === true) dirty = true;
    } catch {
      return compile.call(this, content, filename);
    }
    scripts.set(filename, { script, mtimeMs: st.mtimeMs, size: st.size });
    const fn = script.runInThisContext({ displayErrors: true }) as (...a: unknown[]) => unknown;
    const mod = this;
    const req = Object.assign((id: string) => mod.require(id), {
      resolve: (request: string, options?: unknown) => M._resolveFilename(request, mod, false, options),
      main: require.main,
      cache: M._cache,
    });
    return fn.call(mod.exports, mod.exports, req, mod, filename, path.dirname(filename));
  };
  process.once('exit', () => {
    if (!dirty) return;
    try {
      for (const [name, s] of scripts) entries.set(name, { mtimeMs: s.mtimeMs, size: s.size, data: s.script.createCachedData() });
      writeCache(dir, file, entries);
    } catch {
      // no cache this time: the next start compiles as this one did
    }
  });
  installed = true;
  return true;
}
