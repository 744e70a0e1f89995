"""Writes the small images of PretrainedSourceTests with Debian's python3-pil (9.4): one picture (a red disc and a
blue bar on yellow) in the colour models and shapes a photo folder may hold.

    /usr/bin/python3 make_odd_images.py

rgb.jpg        the picture, 61x37 (odd sides, wider than tall), RGB JPEG
cmyk.jpg       the same picture as a CMYK JPEG (Adobe inverted CMYK, as Photoshop writes it)
grey.jpg       the picture in grey levels, a one-channel JPEG
grey-rgb.png   the same grey levels as an RGB PNG
alpha.png      the picture, 37x61 (taller than wide), with its right half fully transparent
white.png      the same with its right half white instead (what alpha.png is composited to)
"""
from PIL import Image, ImageDraw

def picture(w, h):
    im = Image.new('RGB', (w, h), (240, 210, 40))
    d = ImageDraw.Draw(im)
    d.ellipse((w // 5, h // 5, w // 5 + min(w, h) // 2, h // 5 + min(w, h) // 2), fill=(200, 30, 30))
    d.rectangle((0, h * 2 // 3, w, h * 2 // 3 + 4), fill=(20, 40, 190))
    return im

rgb = picture(61, 37)
rgb.save('rgb.jpg', quality=95)
rgb.convert('CMYK').save('cmyk.jpg', quality=95)
grey = rgb.convert('L')
grey.save('grey.jpg', quality=95)
grey.convert('RGB').save('grey-rgb.png')

tall = picture(37, 61).convert('RGBA')
pixels = tall.load()
white = tall.copy()
wp = white.load()
for y in range(61):
    for x in range(19, 37):
        pixels[x, y] = (0, 0, 0, 0)
        wp[x, y] = (255, 255, 255, 255)
tall.save('alpha.png')
white.convert('RGB').save('white.png')
