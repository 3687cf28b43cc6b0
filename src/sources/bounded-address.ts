// Address parsing for outside input, with the text bounded first: the
// longest IPv6 CIDR is 49 characters (an IPv4-suffixed IPv6 address plus
// "/128"), so longer text is refused without parsing and its message shows
// only the start of it (hostile input can be megabytes).
import { parseCidr, parseIp, type CidrResult, type IpResult } from '../model/addresses.ts';
import { quote } from './raw.ts';

const LONGEST_ADDRESS_TEXT = 64;

export function readIp(text: string): IpResult {
  if (text.length > LONGEST_ADDRESS_TEXT) return { ok: false, message: `${quote(text)} is not a valid IP address (e.g. 10.9.8.7 or 2001:db8::ffff)` };
  return parseIp(text);
}

export function readCidr(text: string): CidrResult {
  if (text.length > LONGEST_ADDRESS_TEXT) return { ok: false, message: `${quote(text)} is not a valid CIDR (e.g. 10.9.8.0/24 or 2001:db8::/64)` };
  return parseCidr(text);
}
