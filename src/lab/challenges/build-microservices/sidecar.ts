export const sidecarBuild = undefined as never;
