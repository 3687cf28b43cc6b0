// RBAC for the fake API server (fake-api-server.ts): a request is allowed when
// a rule of the role grants its verb on its resource, as kube-apiserver's RBAC
// authorizer decides, and refused with the 403 Forbidden Status it sends.
// The request's attributes are read from the method and the URL as the API
// server's RequestInfoFactory reads them: /api/v1 (the core group) and
// /apis/GROUP/VERSION, an optional namespaces/NS, the resource, a name, a
// subresource; GET is get with a name, list without, watch with watch=true
// (or under the old /watch/ prefix); POST create, PUT update, PATCH patch,
// DELETE delete or deletecollection. Any other path is a non-resource URL.

/** A rule of a Role or ClusterRole (rbac.authorization.k8s.io/v1 PolicyRule). */
export interface PolicyRule {
  readonly apiGroups?: readonly string[];
  readonly resources?: readonly string[];
  readonly verbs: readonly string[];
  readonly resourceNames?: readonly string[];
  readonly nonResourceURLs?: readonly string[];
}

export interface RequestAttributes {
  readonly verb: string;
  readonly resourceRequest: boolean;
  readonly apiGroup: string;
  readonly resource: string;
  readonly subresource: string;
  readonly namespace: string;
  readonly name: string;
  readonly path: string;
}

/**
 * What every authenticated user may read whatever its roles: the default
 * ClusterRoles system:discovery and system:public-info-viewer (bound to
 * system:authenticated), so a client's discovery calls are not counted as the
 * role's doing.
 */
export const DISCOVERY_RULES: readonly PolicyRule[] = [{
  verbs: ['get'],
  nonResourceURLs: ['/api', '/api/*', '/apis', '/apis/*', '/openapi', '/openapi/*', '/version', '/version/', '/healthz', '/livez', '/readyz'],
}];

const VERB_OF_METHOD: Readonly<Record<string, string>> = { POST: 'create', PUT: 'update', PATCH: 'patch' };

export function requestAttributes(method: string, url: URL): RequestAttributes {
  const parts = url.pathname.split('/').filter((p) => p !== '').map(decodeURIComponent);
  const nonResource = { verb: method.toLowerCase(), resourceRequest: false, apiGroup: '', resource: '', subresource: '', namespace: '', name: '', path: url.pathname };
  let rest: string[];
  let apiGroup: string;
  if (parts[0] === 'api' && parts.length >= 3) [apiGroup, rest] = ['', parts.slice(2)];
  else if (parts[0] === 'apis' && parts.length >= 4) [apiGroup, rest] = [parts[1] as string, parts.slice(3)];
  else return nonResource;
  let watchPrefix = false;
  if (rest[0] === 'watch') [watchPrefix, rest] = [true, rest.slice(1)];
  let namespace = '';
  // namespaces/NS/RESOURCE... is namespaced; namespaces and namespaces/NS alone name the Namespace resource.
  if (rest[0] === 'namespaces' && rest.length >= 3) [namespace, rest] = [rest[1] as string, rest.slice(2)];
  else if (rest[0] === 'namespaces' && rest.length === 2) namespace = rest[1] as string;
  const [resource = '', name = '', subresource = ''] = rest;
  const watch = watchPrefix || url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1';
  const verb = method === 'GET' || method === 'HEAD'
    ? (watch ? 'watch' : name !== '' ? 'get' : 'list')
    : method === 'DELETE' ? (name !== '' ? 'delete' : 'deletecollection') : VERB_OF_METHOD[method] ?? method.toLowerCase();
  return { verb, resourceRequest: true, apiGroup, resource, subresource, namespace, name, path: url.pathname };
}

const has = (list: readonly string[] | undefined, value: string): boolean => list !== undefined && (list.includes('*') || list.includes(value));

function grants(rule: PolicyRule, a: RequestAttributes): boolean {
  if (!has(rule.verbs, a.verb)) return false;
  if (!a.resourceRequest) {
    return (rule.nonResourceURLs ?? []).some((u) => u === '*' || u === a.path || (u.endsWith('*') && a.path.startsWith(u.slice(0, -1))));
  }
  const resource = a.subresource === '' ? a.resource : `${a.resource}/${a.subresource}`;
  if (!has(rule.apiGroups, a.apiGroup) || !(has(rule.resources, resource) || has(rule.resources, `*/${a.subresource}`))) return false;
  // resourceNames can only narrow requests that name an object (get, update, delete...), never list or watch.
  return rule.resourceNames === undefined || rule.resourceNames.length === 0 || (a.name !== '' && rule.resourceNames.includes(a.name));
}

export function allowed(rules: readonly PolicyRule[], a: RequestAttributes): boolean {
  return [...DISCOVERY_RULES, ...rules].some((r) => grants(r, a));
}

/** The message kube-apiserver answers a refused request with. */
export function forbiddenMessage(user: string, a: RequestAttributes): string {
  if (!a.resourceRequest) return `forbidden: User "${user}" cannot ${a.verb} path "${a.path}"`;
  const qualified = a.apiGroup === '' ? a.resource : `${a.resource}.${a.apiGroup}`;
  const what = a.name !== '' ? `${qualified} "${a.name}"` : qualified;
  const resource = a.subresource === '' ? a.resource : `${a.resource}/${a.subresource}`;
  const scope = a.namespace !== '' && a.resource !== 'namespaces' ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  return `${what} is forbidden: User "${user}" cannot ${a.verb} resource "${resource}" in API group "${a.apiGroup}" ${scope}`;
}
