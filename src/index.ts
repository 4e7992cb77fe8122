/** devlink-sf: devlink sub-functions over generic netlink. This file only re-exports. */
export * from './attrs';
export * from './genl';
export * from './devlink';
