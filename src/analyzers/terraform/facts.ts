/** One element of the plan's `resource_changes`: one resource instance object and what the apply does to it. */
export interface TerraformResourceChangeFacts {
  /** The absolute address as Terraform writes it: `module.db.aws_db_instance.main`, `aws_iam_user.u["alice"]`. */
  readonly address: string
  /** The resource type: `aws_db_instance`. */
  readonly type: string
  /**
   * The plan's actions, as written: `["create"]`, `["update"]`, `["delete"]`, `["delete", "create"]`
   * and `["create", "delete"]` (replacements), `["no-op"]`, `["read"]`, `["forget"]`.
   */
  readonly actions: readonly string[]
  /** `managed` (a `resource` block) or `data` (a `data` block, which is only read). */
  readonly mode: string
  /** The provider's source address: `registry.terraform.io/hashicorp/aws`. */
  readonly provider: string
  /**
   * For updates and replacements: the top-level attributes whose value (or sensitivity) differs
   * between before and after, attributes known only after apply included. Names only, never values.
   * `[]` for other actions. (Beyond the minimum facts.)
   */
  readonly changed_attributes: readonly string[]
  /** The object is replaced: `["delete", "create"]`, `["create", "delete"]` or `["create", "forget"]`. */
  readonly replace: boolean
  /**
   * The existing object is destroyed: `["delete"]` or either replacement order. Also true for
   * actions this analyzer does not recognize (fail closed). Never for `data` resources.
   */
  readonly destroy: boolean
}

/** A network rule whose sources the plan cannot show: they are "unknown until apply". */
export interface TerraformUnknownExposureFacts {
  readonly address: string
  /** The source attributes known only after apply, as paths: `ingress[0].cidr_blocks`, `source_ranges`. */
  readonly attributes: readonly string[]
}

/** Facts of a `terraform` action, from the JSON plan of `terraform show -json PLANFILE`. */
export interface TerraformFacts {
  /** Every element of the plan's `resource_changes`, in plan order, no-ops and reads included. */
  readonly resource_changes: readonly TerraformResourceChangeFacts[]
  /** Objects created (`["create"]`), replacements not counted. */
  readonly creates: number
  /** Objects updated in place. */
  readonly updates: number
  /** Objects destroyed (`["delete"]`), replacements not counted. */
  readonly deletes: number
  /** Objects replaced, in either order. */
  readonly replaces: number
  /** Resource instances left as they are. (Beyond the minimum facts.) */
  readonly no_ops: number
  /** Data sources read during apply. (Beyond the minimum facts.) */
  readonly reads: number
  /** Objects removed from the state but left running (`removed { lifecycle { destroy = false } }`). (Beyond the minimum facts.) */
  readonly forgets: number
  /** Distinct types of the resources the plan does something to (no-ops left out), in plan order. */
  readonly types: readonly string[]
  /** Anything is destroyed or replaced, an action is not recognized, or the plan could not be read. */
  readonly destroys_any: boolean
  /**
   * Addresses of identity and access changes: IAM users, roles, policies and their attachments,
   * role assignments and bindings, resource policies and permissions, service accounts and their
   * keys (see `iam-types.ts`), and any resource whose policy attribute (`policy`,
   * `assume_role_policy`, `access_policy`…) is set or changed. No-ops and reads are left out.
   */
  readonly iam_changes: readonly string[]
  /**
   * Addresses of databases, buckets, disks, volumes, file systems, caches, queues, streams,
   * snapshots, backups, keys and secrets being destroyed or replaced (see `data-store-types.ts`).
   */
  readonly data_stores: readonly string[]
  /**
   * Addresses whose state after apply lets the internet in: ingress from 0.0.0.0/0, ::/0 or
   * another wide public range (security groups and their rules, classic RDS/Redshift groups,
   * network ACLs, firewalls, SQL authorized networks, Azure security and firewall rules), public
   * buckets, ACLs and resource policies, publicly accessible databases, unauthenticated function
   * URLs; also removed S3 public access blocks. A resource whose sources are only known after
   * apply is in `unknown_exposure` instead.
   */
  readonly public_exposure: readonly string[]
  /**
   * Network rules whose sources are known only after apply (a security group whose ingress comes
   * from another resource being created): the plan cannot show whether they open anything to the
   * internet. Not in `public_exposure`, which lists what the plan shows open. (Added, issue 16.)
   */
  readonly unknown_exposure: readonly TerraformUnknownExposureFacts[]
  /** Addresses of provider actions the apply invokes (`action_invocations`, Terraform 1.14+). (Beyond the minimum facts.) */
  readonly action_invocations: readonly string[]
  /**
   * Why the payload is not a plan this analyzer can read (no or malformed `resource_changes`, an
   * unsupported `format_version`…), `""` otherwise. When set, every list is empty, every count 0
   * and `destroys_any` true.
   */
  readonly parse_error: string
}
