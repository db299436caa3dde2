/** The sess version written into generated headers; a test keeps it equal to package.json's. */
export const SESS_VERSION = "0.1.0";
