/**
 * The subset of the Docker Engine API `ContainerCreate` body (POST /containers/create)
 * that envbox and its plugins edit. Field names are PascalCase exactly as the API has them,
 * so a site plugin can set any other API field and it is passed through untouched.
 *
 * Every type is read-only, all the way down: taps return an edited copy (through the helpers in
 * edits.ts) and never change the body they were given, which is also frozen at run time.
 */
export interface DeviceMapping {
  readonly PathOnHost: string;
  readonly PathInContainer: string;
  readonly CgroupPermissions: string;
}

export interface HostConfig {
  readonly Runtime?: string;
  readonly AutoRemove?: boolean;
  readonly Binds?: readonly string[];
  readonly Devices?: readonly DeviceMapping[];
  readonly DeviceCgroupRules?: readonly string[];
  readonly CapAdd?: readonly string[];
  readonly ExtraHosts?: readonly string[];
  readonly Memory?: number;
  readonly CpuPeriod?: number;
  readonly CpuQuota?: number;
  readonly [field: string]: unknown;
}

export interface ContainerCreateBody {
  readonly Image: string;
  readonly User?: string;
  readonly Hostname?: string;
  readonly WorkingDir?: string;
  readonly Entrypoint?: readonly string[];
  readonly Cmd?: readonly string[];
  readonly Env?: readonly string[];
  readonly Labels?: Readonly<Record<string, string>>;
  readonly Tty?: boolean;
  readonly HostConfig: HostConfig;
  readonly [field: string]: unknown;
}
