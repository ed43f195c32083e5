/**
 * The subset of the Docker Engine API `ContainerCreate` body (POST /containers/create)
 * that envbox and its plugins edit. Field names are PascalCase exactly as the API has them,
 * so a site plugin can set any other API field and it is passed through untouched.
 */
export interface DeviceMapping {
  PathOnHost: string;
  PathInContainer: string;
  CgroupPermissions: string;
}

export interface HostConfig {
  Runtime?: string;
  AutoRemove?: boolean;
  Binds?: string[];
  Devices?: DeviceMapping[];
  DeviceCgroupRules?: string[];
  ExtraHosts?: string[];
  Memory?: number;
  CpuPeriod?: number;
  CpuQuota?: number;
  [field: string]: unknown;
}

export interface ContainerCreateBody {
  Image: string;
  User?: string;
  Hostname?: string;
  WorkingDir?: string;
  Entrypoint?: string[];
  Cmd?: string[];
  Env?: string[];
  Tty?: boolean;
  HostConfig: HostConfig;
  [field: string]: unknown;
}
