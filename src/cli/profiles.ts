// Where `simsiam login` keeps the service URL and API key: profiles.json in ~/.config/simsiam (or
// $XDG_CONFIG_HOME/simsiam, or $SIMSIAM_CONFIG_DIR), readable by its owner only since it holds keys.
// SIMSIAM_URL and SIMSIAM_API_KEY override the profile, for CI and one-off runs.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CliError, EXIT } from './exitCodes.ts';

export interface Profile {
  url: string;
  key: string;
}

interface ProfilesFile {
  profiles: Record<string, Profile>;
}

export const DEFAULT_PROFILE = 'default';

export function configDir(env = process.env): string {
  if (env.SIMSIAM_CONFIG_DIR) return path.resolve(env.SIMSIAM_CONFIG_DIR);
  return path.join(env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config'), 'simsiam');
}

export const profilesPath = (env = process.env) => path.join(configDir(env), 'profiles.json');

async function readProfiles(file: string): Promise<ProfilesFile> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { profiles: {} };
    throw err;
  }
  try {
    const parsed = JSON.parse(text) as Partial<ProfilesFile>;
    return { profiles: parsed.profiles ?? {} };
  } catch {
    throw new CliError(EXIT.usage, 'BAD_PROFILES_FILE', `${file} is not valid JSON; fix or delete it and log in again`);
  }
}

export async function saveProfile(name: string, profile: Profile): Promise<string> {
  const file = profilesPath();
  const current = await readProfiles(file);
  current.profiles[name] = profile;
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  // written aside and renamed, so a crash never leaves half a file; 0600 whatever the umask
  const temp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(temp, `${JSON.stringify(current, null, 2)}\n`, { mode: 0o600 });
  await fs.chmod(temp, 0o600);
  await fs.rename(temp, file);
  return file;
}

/** The URL and key to use: the environment over the named profile. */
export async function resolveProfile(name: string, env = process.env): Promise<Profile> {
  const stored = (await readProfiles(profilesPath(env))).profiles[name];
  const url = env.SIMSIAM_URL || stored?.url;
  const key = env.SIMSIAM_API_KEY || stored?.key;
  if (!url || !key) {
    throw new CliError(EXIT.auth, 'NOT_LOGGED_IN', `no ${url ? 'API key' : 'service URL'} for profile "${name}": run \`simsiam login --url URL --key KEY${name === DEFAULT_PROFILE ? '' : ` --profile ${name}`}\` or set SIMSIAM_URL and SIMSIAM_API_KEY`);
  }
  return { url, key };
}
