// libpng, for decoding and encoding PNG images (Debian: libpng-dev). Only the
// "simplified" png_image API is used: it reports errors through return values and
// png_image.message, whereas the classic API reports them with longjmp, which must
// never cross Swift frames.
#include <png.h>

// png.h's format constants are macros built from other macros; spell out the
// ones we use so Swift sees plain constants.
static const unsigned int cpng_format_gray = PNG_FORMAT_GRAY;
static const unsigned int cpng_format_ga = PNG_FORMAT_GA;
static const unsigned int cpng_format_bgr = PNG_FORMAT_BGR;
static const unsigned int cpng_format_bgra = PNG_FORMAT_BGRA;
static const unsigned int cpng_format_flag_color = PNG_FORMAT_FLAG_COLOR;
static const unsigned int cpng_format_flag_alpha = PNG_FORMAT_FLAG_ALPHA;
static const unsigned int cpng_image_version = PNG_IMAGE_VERSION;
static const unsigned int cpng_image_flag_16bit_srgb = PNG_IMAGE_FLAG_16BIT_sRGB;
