/** The package name every error and warning of this package carries. */
export const PACKAGE = '@lambda-lifetime/container'
