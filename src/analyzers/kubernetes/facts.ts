/** One object the action names: from a manifest, an API request, or a kubectl line naming it. */
export interface KubernetesObjectFacts {
  /** `Deployment`; `""` when a kubectl line names a custom resource this analyzer does not know. */
  readonly kind: string
  readonly name: string
  /** `""` for cluster-scoped objects and when neither the object nor the command names one. */
  readonly namespace: string
  /** `apps/v1` as written in a manifest or request path; `""` when the action does not say. (`resource` added beyond the brief.) */
  readonly api_version: string
  /** Plural, lower-case: `deployments`. */
  readonly resource: string
  /**
   * The secrets this object hands to its containers when written: mounted (`secret` and projected
   * volumes, CSI `nodePublishSecretRef`) or referenced from the environment (`secretKeyRef`,
   * `envFrom.secretRef`), as `secret/NAME` (`secret/?` when unnamed), and Secrets Store CSI
   * classes as `secretproviderclass/NAME`. `[]` when none or not written. (Added, issue 16.)
   */
  readonly secret_refs: readonly string[]
}

/**
 * Facts of a `kubernetes` action, from a kubectl line, an API request or a manifest. Single-valued
 * fields (`resource`, `namespace`, `name`, `kind`) hold the value when the action has one, and
 * `""` when it has none or several; the lists (`verbs`, `resources`, `namespaces`, `objects`) hold
 * every value, so `"namespaces" in kubernetes.resources` also catches a manifest of many objects.
 *
 * When the action cannot be analyzed, `parse_error` says why and every risk flag is true.
 */
export interface KubernetesFacts {
  /**
   * The API verb: `get`, `list`, `watch`, `create`, `update`, `patch`, `delete`,
   * `deletecollection`, and for subresources `exec`, `attach`, `portforward`, `proxy`, `evict`.
   * `kubectl apply` (client- or server-side) and a bare manifest are `patch`, as they reach the
   * server as patches of the live objects; `drain` is `evict`; `cordon`, `scale`, `label` and
   * `rollout restart` are `patch`. `""` for local-only commands (`kubectl config`, `completion`).
   */
  readonly verb: string
  /** Every verb the action uses, `verb` first (`drain` → `evict`, `patch`, `list`). */
  readonly verbs: readonly string[]
  readonly resource: string
  /** Distinct resources of the action, in first-seen order. (Added.) */
  readonly resources: readonly string[]
  /** `"*"` for every namespace (`-A`); `""` when cluster-scoped, unspecified (the context's default) or several. */
  readonly namespace: string
  /** Distinct namespaces named, `["*"]` for every namespace. (Added.) */
  readonly namespaces: readonly string[]
  readonly name: string
  readonly kind: string
  /**
   * Something would run with host or elevated access: a privileged container, privilege
   * escalation, added capabilities, root user, host namespaces/ports/paths, unconfined
   * seccomp/AppArmor, Windows host processes; a namespace opened to privileged pods; mutating
   * webhooks; node debugging and privileged debug profiles; the kubelet API (`nodes/proxy`);
   * writes of unseen content to a resource that can hold any of these; `kubectl proxy`.
   */
  readonly privileged: boolean
  /**
   * The action can grant permissions: roles with `*` verbs or resources, `escalate`/`bind`/
   * `impersonate`, writes on RBAC objects or pods/exec; bindings to cluster-admin/admin/edit or
   * system roles, or to anonymous/all authenticated users; unseen content written to RBAC objects;
   * `kubectl auth reconcile`; impersonation (`--as`) or an identity of the command's choosing
   * (`--context`, `--user`, `--token`); approving certificate requests.
   */
  readonly rbac_escalation: boolean
  /**
   * The action reads or writes secrets (any resource named like one), mints a service account
   * token, reads credential files through exec/cp, reads local files on the machine running
   * kubectl, or sends the kubeconfig's credentials to a server of its choosing.
   */
  readonly secrets_access: boolean
  /** The action runs commands in or attaches to a container (`exec`, `attach`, `cp`, `debug`, `run -i`). (Added.) */
  readonly interactive_access: boolean
  /**
   * Deletes (objects, namespaces, collections), drains or taints nodes `NoExecute`, scales to 0,
   * force-replaces, prunes, evicts, runs `rm`-like commands through exec, changes the gateway's
   * kubeconfig or writes local files. (Added.)
   */
  readonly destructive: boolean
  /** Every namespace (`-A`, or a list of a namespaced resource without a namespace in an API path). (Added.) */
  readonly all_namespaces: boolean
  /** `--dry-run`/`dryRun`: nothing would be persisted; the other facts describe the action as if it ran. (Added.) */
  readonly dry_run: boolean
  /** Every named object, manifest objects first-class. (Added.) */
  readonly objects: readonly KubernetesObjectFacts[]
  /**
   * Every `secret_refs` entry of the objects, distinct: the secrets the workloads written would
   * read. Not a risk flag by itself (`secrets_access` is about the action): a policy can require
   * approval for workloads given secrets with `kubernetes.secret_refs.size() > 0`. (Added, issue 16.)
   */
  readonly secret_refs: readonly string[]
  /** Why the action could not be analyzed (not kubectl, a pipe, bad YAML, an unknown API path); `""` otherwise. (Added.) */
  readonly parse_error: string
}
