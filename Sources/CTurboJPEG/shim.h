// libjpeg-turbo's TurboJPEG API, for decoding and encoding JPEG images
// (Debian: libturbojpeg0-dev). Debian 12 ships 2.1, so the tj* (not tj3*) API.
#include <turbojpeg.h>
