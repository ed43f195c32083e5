# A Coder template that runs each workspace as an envbox pod: the same pod as
# examples/kubernetes/pod.yaml, with the agent's token, URL and init script passed to envbox.
#
# It drops in for Coder's official kubernetes-envbox template: the same resource addresses, the same
# claim name, size parameter and subPaths, the same variables (so `coder templates push --variable ...`
# lines written for it still work), the same FUSE and TUN defaults, and no Kubernetes kind beyond the
# pods and persistentvolumeclaims that Coder's default workspace role (coder-workspace-perms) allows.
# An existing workspace keeps its home volume when its template is switched. Each remaining difference
# has a comment saying why; examples/test/coder-template.test.ts checks the shared facts.
# The site ConfigMap (examples/kubernetes/configmap.yaml) is optional.

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
  default     = true
  description = "Use ~/.kube/config of the Coder host (true), or the service account of the Coder pod when Coder runs in the workspaces' cluster (false)."
}

# No default, as in the original: a namespace is part of the claim's identity, so a default that differed
# from the one a workspace was created in would make Terraform replace its claim, an empty home.
variable "namespace" {
  type        = string
  description = "The namespace for workspaces; it must exist before a workspace is created."
}

variable "create_tun" {
  type        = bool
  default     = false
  description = "Give the workspace a TUN device (/dev/net/tun), for VPN clients."
}

variable "create_fuse" {
  type        = bool
  default     = false
  description = "Give the workspace a FUSE device (/dev/fuse), for sshfs, rclone mount and the like."
}

variable "max_cpus" {
  type        = string
  description = "CPUs a workspace may use at most: the pod's limit, which envbox also gives the workspace (e.g. 2)."
}

variable "min_cpus" {
  type        = string
  description = "CPUs reserved for a workspace: the pod's request (e.g. 0.5)."
}

variable "max_memory" {
  type        = string
  description = "Memory a workspace may use at most, in GB: the pod's limit, which envbox also gives the workspace (e.g. 4)."
}

variable "min_memory" {
  type        = string
  description = "Memory reserved for a workspace, in GB: the pod's request (e.g. 1)."
}

# Not in the original, which pins coder/envbox's image: this template runs this repository's image.
variable "envbox_image" {
  type        = string
  default     = "registry.example.com/platform/envbox:0.1.0"
  description = "The envbox image (npm run image builds it; push it to a registry the nodes can pull from)."
}

# Not in the original, which hard-codes this default: a variable, so a site can use its own image.
variable "workspace_image" {
  type        = string
  default     = "index.docker.io/codercom/enterprise-base:ubuntu-20240812"
  description = "The image each workspace runs, inside envbox."
}

# Not in the original: a private workspace image needs pull credentials. The kubelet reads the secret
# for the pod, so Coder's service account needs no access to secrets.
variable "pull_secret" {
  type        = string
  default     = "envbox-pull-secret"
  description = "A kubernetes.io/dockerconfigjson secret in the namespace for pulling the workspace image; it may be absent."
}

provider "coder" {}

provider "kubernetes" {
  config_path = var.use_kubeconfig ? "~/.kube/config" : null
}

# The same parameter name ("Disk Size"), type, default and minimum as the original: Coder keeps a
# workspace's parameter values by name, so another name would start a switched workspace at the default
# size, and a claim smaller than the one it has cannot be applied.
data "coder_parameter" "home_disk" {
  name         = "Disk Size"
  display_name = "Home disk (GB)"
  description  = "Holds the home directory and the workspace's Docker images; it can grow, never shrink."
  type         = "number"
  default      = 10
  mutable      = true
  # display_name and description are worded anew (Coder shows them, it stores only `name`). No icon: the
  # original's is an image on a third-party CDN.
  validation {
    min = 10
    max = 100
    # Not in the original: Kubernetes refuses to shrink a claim, so a smaller value would fail the build.
    monotonic = "increasing"
  }
}

data "coder_workspace" "me" {}
data "coder_workspace_owner" "me" {}

resource "coder_agent" "main" {
  os   = "linux"
  arch = "amd64"
  # A new claim starts empty: give the user the image's default shell files, as the original does.
  startup_script = <<-EOT
    #!/bin/sh
    for f in .profile .bashrc; do
      [ -e "$HOME/$f" ] || [ ! -f "/etc/skel/$f" ] || cp "/etc/skel/$f" "$HOME/$f"
    done
  EOT
}

# The original also adds the code-server and JetBrains Gateway modules from registry.coder.com. They are
# a choice of editors, not part of envbox, and need that registry at `terraform init`; add them as needed.

# The original's resource type and address (not kubernetes_persistent_volume_claim_v1): the kubernetes
# provider cannot move state from one type to the other (a `moved` block fails), so another type would
# destroy the claim and create an empty one. Provider 3.x's deprecation warning is the lesser cost.
resource "kubernetes_persistent_volume_claim" "home" {
  metadata {
    name      = "coder-${lower(data.coder_workspace_owner.me.name)}-${lower(data.coder_workspace.me.name)}-home"
    namespace = var.namespace
  }
  wait_until_bound = false
  spec {
    access_modes = ["ReadWriteOnce"]
    resources {
      requests = {
        storage = "${data.coder_parameter.home_disk.value}Gi"
      }
    }
  }
}

# The original's type and address too: under another address the old pod and the new one, of the same
# name, would be destroyed and created in no set order.
resource "kubernetes_pod" "main" {
  count = data.coder_workspace.me.start_count

  metadata {
    name      = "coder-${lower(data.coder_workspace_owner.me.name)}-${lower(data.coder_workspace.me.name)}"
    namespace = var.namespace
    # Not in the original: lets `kubectl get pods -l app.kubernetes.io/name=envbox` find the workspaces.
    labels = {
      "app.kubernetes.io/name" = "envbox"
    }
  }

  spec {
    restart_policy = "Never"
    # Not in the original, which has the default 30 s: after SIGTERM envbox gives the bootstrap
    # ENVBOX_SHUTDOWN_TIMEOUT (90 s), then stops the workspace (10 s), dockerd and sysbox (20 s each) and
    # flushes Coder logs (5 s). A shorter grace period kills the workspace before its processes exit.
    termination_grace_period_seconds = 150

    container {
      name  = "dev"
      image = var.envbox_image
      # The original pulls "Always" because it runs the moving `latest` tag; this one names a pinned tag.
      image_pull_policy = "IfNotPresent"
      command           = ["/envbox", "docker"]
      # Not in the original: envbox finds its site config by searching the working directory, which is
      # the optional ConfigMap's mount. An ENVBOX_CONFIG naming a file that is absent would stop envbox
      # with exit 2 whenever the ConfigMap is missing.
      working_dir = "/etc/envbox"

      security_context {
        privileged = true
      }

      resources {
        requests = {
          cpu    = var.min_cpus
          memory = "${var.min_memory}G"
        }
        limits = {
          cpu    = var.max_cpus
          memory = "${var.max_memory}G"
        }
      }

      # In the pod spec, as in the original: a Secret would need rights on secrets, which Coder's default
      # workspace role does not grant. Whoever can read pods in the namespace can read the token.
      env {
        name  = "CODER_AGENT_TOKEN"
        value = coder_agent.main.token
      }
      env {
        name  = "CODER_AGENT_URL"
        value = data.coder_workspace.me.access_url
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
        name  = "CODER_BOOTSTRAP_SCRIPT"
        value = coder_agent.main.init_script
      }
      env {
        name  = "CODER_MOUNTS"
        value = "/home/coder:/home/coder"
      }
      env {
        name  = "CODER_ADD_FUSE"
        value = var.create_fuse
      }
      env {
        name  = "CODER_INNER_HOSTNAME"
        value = data.coder_workspace.me.name
      }
      env {
        name  = "CODER_ADD_TUN"
        value = var.create_tun
      }
      # As the original, which leaves container_name and divisor at their defaults (this container, 1);
      # they are spelled out here because divisor 1 is what makes the values whole CPUs and bytes.
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
      # Not in the original: see var.pull_secret. Optional, so public images need no secret.
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
      # Not in the original (an envbox setting): the bootstrap's share of the grace period above.
      env {
        name  = "ENVBOX_SHUTDOWN_TIMEOUT"
        value = "90"
      }

      # Not in the original: the ready marker next to ENVBOX_STATUS_FILE, read with shell builtins (no
      # node start per probe). It names envbox's pid and start time, so a stale marker is refused.
      readiness_probe {
        exec {
          command = ["/bin/sh", "-c", "read -r pid start < /run/envbox/ready && read -r stat < /proc/$pid/stat && set -- $${stat##*) } && test \"$${20}\" = \"$start\""]
        }
        initial_delay_seconds = 2
        period_seconds        = 5
        failure_threshold     = 3
      }
      # Not in the original: envbox writes why it failed here; `kubectl describe pod` shows it.
      termination_message_path   = "/dev/termination-log"
      termination_message_policy = "FallbackToLogsOnError"

      # The original's subPaths, one for one: a switched workspace finds its home and caches where it left them.
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
        name       = "sysbox"
        mount_path = "/var/lib/sysbox"
      }
      volume_mount {
        name       = "home"
        mount_path = "/var/lib/containers"
        sub_path   = "envbox/containers"
      }
      volume_mount {
        name       = "home"
        mount_path = "/var/lib/docker"
        sub_path   = "envbox/docker"
      }
      # Read-only, where the original mounts them writable: envbox and sysbox only read the node's kernel files.
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
      # Not in the original: the site config, see working_dir.
      volume_mount {
        name       = "envbox-config"
        mount_path = "/etc/envbox"
        read_only  = true
      }
    }

    volume {
      name = "home"
      persistent_volume_claim {
        claim_name = kubernetes_persistent_volume_claim.home.metadata[0].name
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
    # Optional: without the ConfigMap the directory is empty, and envbox runs with its defaults.
    volume {
      name = "envbox-config"
      config_map {
        name     = "envbox-config"
        optional = true
      }
    }
  }
}
