"""Pictures of the data: augmentation previews, sample sheets, validation mistakes.

Everything here works on uint8 pixels and plain captions and imports neither textual nor rich:
the terminal drawing lives in `tuitrain.ui.images`, the PNG writing in `sheet`.
"""
