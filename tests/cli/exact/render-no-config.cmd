render
tpl
