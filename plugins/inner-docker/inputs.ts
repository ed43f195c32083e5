import { defineInput, inputKinds } from 'envbox';

type InnerMtu = 'auto' | 'off' | number;

const innerMtuInput = inputKinds.textInput<InnerMtu>((text) => {
  const t = text.trim().toLowerCase();
  if (t === 'auto' || t === 'off') return t;
  if (!/^\d+$/.test(t)) return new inputKinds.Problem(`${JSON.stringify(text)} is not auto, off or a number of bytes`);
  const mtu = Number(t);
  // 68 is the IPv4 minimum; 1280 would be IPv6's, but dockerd accepts the IPv4 range.
  return mtu >= 68 && mtu <= 65535 ? mtu : new inputKinds.Problem(`${t} is out of range (68 to 65535)`);
});

export const innerDockerMtu = defineInput({
  key: 'innerDockerMtu', env: 'ENVBOX_INNER_DOCKER_MTU', flag: 'inner-docker-mtu', schema: innerMtuInput, default: 'auto' as InnerMtu,
  description: 'The "mtu" written into the workspace\'s /etc/docker/daemon.json, so that a dockerd inside the workspace (sysbox) '
    + 'gives its containers the MTU of the pod\'s network: auto (the MTU envbox gives its own dockerd), a number, or off. '
    + 'Merged with the image\'s daemon.json; an mtu the image sets is kept.',
  example: '1450',
});

export const innerDockerInheritPull = defineInput({
  key: 'innerDockerInheritPull', env: 'ENVBOX_INNER_DOCKER_INHERIT_PULL', flag: 'inner-docker-inherit-pull', schema: inputKinds.booleanInput,
  default: false, boolean: true,
  description: 'Also write the outer dockerd\'s registry mirrors ("registry-mirrors") and proxies ("proxies", Docker Engine 23 and later, '
    + 'credentials included) into the workspace\'s daemon.json, so that the inner dockerd pulls the same way.',
  example: 'true',
});
