// @ts-check
/**
 * Hardware virtualisation for the workspace (Firecracker, QEMU, Android emulators): /dev/kvm is
 * passed in when the node has it, and silently skipped when it does not, so one template serves
 * both kinds of node pool.
 *
 *   plugins: ['./kvm.mjs']
 */
import { definePlugin, withDeviceNode } from 'envbox';

const KVM = '/dev/kvm';

export default function kvm() {
  return definePlugin({
    name: 'kvm',
    apply({ hooks }) {
      hooks.containerSpec.tap(async (body, ctx) => {
        const node = await ctx.host.stat(KVM);
        if (node?.kind !== 'char') {
          ctx.buildLog.info(`${KVM} does not exist on this node; the workspace runs without KVM.`);
          return body;
        }
        // The workspace's users are unprivileged ids on the host: the node must be open to them, as
        // KubeVirt's device plugin makes it. The node already exists, so nothing is made or chowned.
        ctx.act({ kind: 'chmod', path: KVM, mode: '0666', bestEffort: true });
        // The same helper the built-in FUSE and TUN plugins use: a Devices entry under sysbox-runc,
        // a bind plus a device cgroup rule under runc (which ignores PathOnHost under userns-remap).
        return withDeviceNode(body, ctx.runtime, { hostPath: KVM, containerPath: KVM, major: node.major ?? 10, minor: node.minor ?? 232 }, { ifAbsent: true });
      });
    },
  });
}
