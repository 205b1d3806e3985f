import { TortieError } from '../lib/errors.js';
import { allKinds, kindByName, type KindDef } from '../model/index.js';

/** A kind as typed on the command line: `ippools`, `IPPool`, `ipp`, `gnp`… in any case. */
export function kindArgument(name: string): KindDef {
  const k = kindByName(name);
  if (!k) {
    const known = allKinds().map((d) => `${d.plural}${d.shortNames.length ? ` (${d.shortNames.join(', ')})` : ''}`).join(', ');
    throw new TortieError('TORTIE_ERR_CLI_UNKNOWN_KIND', `"${name}" is not a resource kind. Known kinds: ${known}`, { kind: name });
  }
  return k;
}
