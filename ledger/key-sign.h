/* custody key sign and custody key export: signatures of release files. */
#ifndef CUSTODY_KEY_SIGN_H
#define CUSTODY_KEY_SIGN_H

/* custody key sign FILE --key KEYFILE: write FILE.sig and FILE.minisig. */
int key_sign_command(int argc, char **argv);
/* custody key export KEYFILE.pub --format pem|minisign [-o OUT]. */
int key_export_command(int argc, char **argv);

#endif
