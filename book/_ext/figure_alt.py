"""Alt text for the figures in executed outputs, computed by the cell that drew them.

myst-nb takes an image's alt text from the cell's metadata (``mystnb: image: alt:``): one fixed
text for every figure of the cell. ``initlab.plots.show`` puts a description written with the
figure, numbers included, into the output's own metadata (``{"image/png": {"alt": ...}}``), where
myst-nb already reads an image's width and height. This extension reads its alt text from there
too; an alt text in the cell's metadata still wins.
"""

from myst_nb.core.render import NbElementRenderer


def _with_output_alt(render_image):
    def render_image_with_alt(self, data):
        image_nodes = render_image(self, data)
        alt = data.output_metadata.get(data.mime_type, {}).get("alt")
        for node in image_nodes:
            if alt and not node.get("alt"):
                node["alt"] = str(alt)
        return image_nodes

    render_image_with_alt.reads_output_alt = True
    return render_image_with_alt


def setup(app):
    if not getattr(NbElementRenderer.render_image, "reads_output_alt", False):
        NbElementRenderer.render_image = _with_output_alt(NbElementRenderer.render_image)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
