/**
 * The deepest nesting of objects and arrays a config may have. The schema's deepest path is
 * about ten levels; every later stage walks values recursively, and 5,000 levels overflowed the
 * stack ("Maximum call stack size exceeded"), so a deeper text is refused at load.
 */
export const MAX_DEPTH = 64;
