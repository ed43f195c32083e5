# A Coder template that runs each workspace as an envbox pod: the same pod as
# examples/kubernetes/pod.yaml, with the agent's token, URL and init script passed to envbox.
# Before pushing it, apply examples/kubernetes/configmap.yaml in the workspace namespace (the site config).

terraform {
  required_providers {
    coder = {
      source = "coder/coder"
    }
    kubernetes = {
      source = "hashicorp/kubernetes"
    }
  }
}

variable "use_kubeconfig" {
  type        = bool
  default     = false
  description = "Use ~/.kube/config of the Coder host (true), or the service account of the Coder pod (false)."
}

variable "namespace" {
  type        = string
  default     = "coder"
  description = "The namespace for workspaces; it must exist and hold the envbox-config ConfigMap."
}

variable "envbox_image" {
  type        = string
  default     = "registry.example.com/platform/envbox:0.1.0"
  description = "The envbox image (npm run image builds it; push it to a registry the nodes can pull from)."
}

variable "workspace_image" {
  type        = string
  default     = "codercom/enterprise-base:ubuntu"
  description = "The image each workspace runs, inside envbox."
}

variable "pull_secret" {
  type        = string
  default     = "envbox-pull-secret"
  description = "A kubernetes.io/dockerconfigjson secret for pulling the workspace image; it may be absent."
}

provider "coder" {}

provider "kubernetes" {
  config_path = var.use_kubeconfig ? "~/.kube/config" : null
}

data "coder_parameter" "cpu" {
  name         = "cpu"
  display_name = "CPUs"
  description  = "Whole CPUs for the workspace."
  type         = "number"
  default      = 2
  mutable      = true
  validation {
    min = 1
    max = 16
  }
}

data "coder_parameter" "memory" {
  name         = "memory"
  display_name = "Memory (GiB)"
  type         = "number"
  default      = 4
  mutable      = true
  validation {
    min = 1
    max = 64
  }
}

data "coder_parameter" "disk" {
  name         = "disk"
  display_name = "Home disk (GiB)"
  description  = "Holds the home directory and the workspace's Docker images; it can grow, never shrink."
  type         = "number"
  default      = 20
  mutable      = true
  validation {
    min       = 10
    max       = 500
    monotonic = "increasing"
  }
}

data "coder_workspace" "me" {}
data "coder_workspace_owner" "me" {}

locals {
  name = "coder-${lower(data.coder_workspace_owner.me.name)}-${lower(data.coder_workspace.me.name)}"
}

resource "coder_agent" "main" {
  os   = "linux"
  arch = "amd64"
}

# The token goes through a Secret, so that it is not in the pod spec for anyone who can read pods.
resource "kubernetes_secret_v1" "agent" {
  count = data.coder_workspace.me.start_count
  metadata {
    name      = "${local.name}-agent"
    namespace = var.namespace
  }
  data = {
    token = coder_agent.main.token
  }
}

resource "kubernetes_persistent_volume_claim_v1" "home" {
  metadata {
    name      = "${local.name}-home"
    namespace = var.namespace
  }
  wait_until_bound = false
  spec {
    access_modes = ["ReadWriteOnce"]
    resources {
      requests = {
        storage = "${data.coder_parameter.disk.value}Gi"
      }
    }
  }
}

resource "kubernetes_pod_v1" "main" {
  count = data.coder_workspace.me.start_count

  metadata {
    name      = local.name
    namespace = var.namespace
    labels = {
      "app.kubernetes.io/name" = "envbox"
    }
  }

  spec {
    restart_policy = "Never"
    # ENVBOX_SHUTDOWN_TIMEOUT (90 s) + workspace (10 s) + dockerd and sysbox (20 s each) + Coder logs (5 s).
    termination_grace_period_seconds = 150

    container {
      name              = "dev"
      image             = var.envbox_image
      image_pull_policy = "IfNotPresent"
      command           = ["/envbox", "docker"]

      security_context {
        privileged = true
      }

      resources {
        requests = {
          cpu    = "250m"
          memory = "512Mi"
        }
        limits = {
          cpu    = "${data.coder_parameter.cpu.value}"
          memory = "${data.coder_parameter.memory.value}Gi"
        }
      }

      env {
        name = "CODER_AGENT_TOKEN"
        value_from {
          secret_key_ref {
            name = kubernetes_secret_v1.agent[0].metadata[0].name
            key  = "token"
          }
        }
      }
      env {
        name  = "CODER_AGENT_URL"
        value = data.coder_workspace.me.access_url
      }
      env {
        name  = "CODER_BOOTSTRAP_SCRIPT"
        value = coder_agent.main.init_script
      }
      env {
        name  = "CODER_INNER_IMAGE"
        value = var.workspace_image
      }
      env {
        name  = "CODER_INNER_USERNAME"
        value = "coder"
      }
      env {
        name  = "CODER_INNER_HOSTNAME"
        value = data.coder_workspace.me.name
      }
      env {
        name  = "CODER_MOUNTS"
        value = "/home/coder:/home/coder"
      }
      env {
        name  = "CODER_ADD_FUSE"
        value = "true"
      }
      env {
        name  = "CODER_ADD_TUN"
        value = "true"
      }
      # ceil(limit / divisor): divisor 1 gives whole CPUs and bytes, the forms envbox reads.
      env {
        name = "CODER_CPUS"
        value_from {
          resource_field_ref {
            container_name = "dev"
            resource       = "limits.cpu"
            divisor        = "1"
          }
        }
      }
      env {
        name = "CODER_MEMORY"
        value_from {
          resource_field_ref {
            container_name = "dev"
            resource       = "limits.memory"
            divisor        = "1"
          }
        }
      }
      env {
        name = "CODER_IMAGE_PULL_SECRET"
        value_from {
          secret_key_ref {
            name     = var.pull_secret
            key      = ".dockerconfigjson"
            optional = true
          }
        }
      }
      env {
        name  = "ENVBOX_SHUTDOWN_TIMEOUT"
        value = "90"
      }
      env {
        name  = "ENVBOX_CONFIG"
        value = "/etc/envbox/envbox.config.js"
      }

      # The ready marker next to ENVBOX_STATUS_FILE, read with shell builtins: no node start per probe.
      # It names envbox's pid and start time, so a marker left by a killed or earlier run is refused.
      readiness_probe {
        exec {
          command = ["/bin/sh", "-c", "read -r pid start < /run/envbox/ready && read -r stat < /proc/$pid/stat && set -- $${stat##*) } && test \"$${20}\" = \"$start\""]
        }
        initial_delay_seconds = 2
        period_seconds        = 5
        failure_threshold     = 3
      }
      termination_message_path   = "/dev/termination-log"
      termination_message_policy = "FallbackToLogsOnError"

      volume_mount {
        name       = "home"
        mount_path = "/home/coder"
        sub_path   = "home"
      }
      volume_mount {
        name       = "home"
        mount_path = "/var/lib/coder/docker"
        sub_path   = "cache/docker"
      }
      volume_mount {
        name       = "home"
        mount_path = "/var/lib/coder/containers"
        sub_path   = "cache/containers"
      }
      volume_mount {
        name       = "home"
        mount_path = "/var/lib/docker"
        sub_path   = "envbox/docker"
      }
      volume_mount {
        name       = "home"
        mount_path = "/var/lib/containers"
        sub_path   = "envbox/containers"
      }
      volume_mount {
        name       = "sysbox"
        mount_path = "/var/lib/sysbox"
      }
      volume_mount {
        name       = "usr-src"
        mount_path = "/usr/src"
        read_only  = true
      }
      volume_mount {
        name       = "lib-modules"
        mount_path = "/lib/modules"
        read_only  = true
      }
      volume_mount {
        name       = "envbox-config"
        mount_path = "/etc/envbox"
        read_only  = true
      }
    }

    volume {
      name = "home"
      persistent_volume_claim {
        claim_name = kubernetes_persistent_volume_claim_v1.home.metadata[0].name
      }
    }
    volume {
      name = "sysbox"
      empty_dir {}
    }
    volume {
      name = "usr-src"
      host_path {
        path = "/usr/src"
      }
    }
    volume {
      name = "lib-modules"
      host_path {
        path = "/lib/modules"
      }
    }
    volume {
      name = "envbox-config"
      config_map {
        name = "envbox-config"
      }
    }
  }
}
