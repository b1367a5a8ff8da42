// Names of the program slots that make a shared program one container's (bindings/program.ts
// slotPatch). A module of its own: a container created from a cached plan needs the names, not
// the planner.
/** The container id, as the name of its session keyring. */
export const CONTAINER_ID_SLOT = 'containerId';
