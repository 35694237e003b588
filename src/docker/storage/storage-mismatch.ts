/** A layer's storage does not hold what docker's record of it names: the caller says which image and layer. */
export class StorageMismatch extends Error {}
