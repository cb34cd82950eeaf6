"""The Examples gallery dialog."""

from __future__ import annotations

from PySide6.QtCore import Qt

from workbench.session.examples import list_examples, read_example
from workbench.ui.panels.examples import ExamplesGallery


def test_gallery_lists_every_example_with_title_and_description(make_widget):
    gallery = make_widget(ExamplesGallery)
    examples = list_examples()
    assert len(examples) == 9
    assert gallery.list.count() == len(examples)
    assert [gallery.list.item(i).text() for i in range(gallery.list.count())] == [
        e.title for e in examples
    ]
    assert gallery.list.item(0).toolTip() == examples[0].description
    assert gallery.size().width() >= 900 and gallery.size().height() >= 560


def test_preview_shows_the_selected_code_highlighted(make_widget):
    gallery = make_widget(ExamplesGallery)
    first = gallery.selected_example()
    assert first.name == "01_derivative_of_sin"
    assert gallery.preview.toPlainText() == read_example(first)
    assert gallery.preview.isReadOnly()
    assert gallery.title.text() == first.title
    assert gallery.inspects.text().endswith("shows b against a, a.")

    gallery.list.setCurrentRow(4)
    chosen = gallery.selected_example()
    assert chosen.name == "05_inplace_errors"
    assert gallery.preview.toPlainText() == read_example(chosen)
    # The preview is highlighted: `import` on its line carries the keyword format.
    doc = gallery.preview.document()
    block = doc.findBlock(doc.toPlainText().index("import workbench"))
    keyword = gallery.preview.highlighter.formats()["keyword"]
    assert any(r.start == 0 and r.format == keyword for r in block.layout().formats())


def test_open_button_emits_chosen_and_accepts(qtbot, make_widget):
    gallery = make_widget(ExamplesGallery)
    gallery.show()
    assert gallery.select("07_jacobian_and_hessian")
    assert gallery.open_button.isDefault()
    with qtbot.waitSignal(gallery.chosen) as blocker:
        qtbot.mouseClick(gallery.open_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0].name == "07_jacobian_and_hessian"
    assert gallery.result() == ExamplesGallery.DialogCode.Accepted
    assert not gallery.isVisible()


def test_double_click_opens(qtbot, make_widget):
    gallery = make_widget(ExamplesGallery)
    gallery.show()
    qtbot.waitExposed(gallery)
    item = gallery.list.item(2)
    rect = gallery.list.visualItemRect(item)
    # A real double click starts with a press; the view only opens what was pressed.
    qtbot.mouseClick(gallery.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    with qtbot.waitSignal(gallery.chosen) as blocker:
        qtbot.mouseDClick(gallery.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args[0].name == "03_gradient_accumulation"


def test_cancel_emits_nothing(qtbot, make_widget):
    gallery = make_widget(ExamplesGallery)
    gallery.show()
    got = []
    gallery.chosen.connect(got.append)
    gallery.reject()
    assert got == [] and gallery.result() == ExamplesGallery.DialogCode.Rejected


def test_no_examples_shows_a_hint_and_disables_open(make_widget):
    gallery = make_widget(ExamplesGallery, [])
    assert gallery.selected_example() is None
    assert gallery.title.text() == "No examples"
    assert not gallery.open_button.isEnabled()
